import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/**
 * The parts of Comedy 2.1.7 that its public API does not export and that the
 * cluster code builds on: its message socket (remote mode's framing, see
 * message-socket-patch.ts) and the promise library its classes return
 * (Bluebird, whose `tap` Comedy calls on what our replacements return).
 */
const require = createRequire(import.meta.url);

/** A socket carrying Comedy's remote-mode messages. */
export interface ComedyMessageSocket {
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  write(message: unknown, callback?: (error?: Error) => void): void;
  end(): void;
  destroy(): void;
}

export const MessageSocket = require('comedy/lib/net/message-socket.js') as {
  new (socket: Socket): ComedyMessageSocket;
  prototype: Record<string | symbol, unknown>;
};

interface BluebirdPromise<T> extends PromiseLike<T> {
  tap(fn: (value: T) => unknown): BluebirdPromise<T>;
}

/** Comedy's own Bluebird, resolved from Comedy's folder. */
export const Bluebird = createRequire(require.resolve('comedy/lib/actor.js'))('bluebird') as {
  new <T>(executor: (resolve: (value: T) => void, reject: (error: Error) => void) => void): BluebirdPromise<T>;
  resolve<T>(value: T | PromiseLike<T>): BluebirdPromise<T>;
};

/** A module of Comedy's `lib/` folder. */
export function comedyModule<T>(path: string): T {
  return require(`comedy/lib/${path}`) as T;
}
