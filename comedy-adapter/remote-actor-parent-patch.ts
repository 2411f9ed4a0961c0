import type { Socket } from 'node:net';
import { HostAgentRefusedError, SolsticeError, deserializeError, type ActorExit } from '../lib/errors/index.js';
import { ACTOR_FAILED, ACTOR_READY, type ActorReadiness } from './actor-ready.js';
import { requireClusterSecret } from '../cluster/shared-secret.js';
import { connectAuthenticated } from '../cluster/socket-handshake.js';
import { DEFAULT_AGENT_PORT } from '../cluster/cluster-config.js';
import { Bluebird as P, comedyModule, MessageSocket, type ComedyMessageSocket, type PatchableClass } from './internals.js';
import type { RemoteEnd } from './remote-end.js';

/**
 * The job's side of a remote actor, replacing Comedy's
 * RemoteActorParent._createRemoteWorker: both connections (to the host
 * agent, then to the actor's own port) are authenticated with the cluster
 * secret; a host that cannot be reached, or an actor process that dies before
 * it is connected, rejects with `onUnreachable`'s error (Comedy rejected with
 * the bare socket error, or waited); and the connection's end is reported to
 * whoever watches the actor ({@link RemoteEnd}), once, as an {@link ActorExit}.
 */

interface RemoteActorParentInstance {
  additionalOptions: { host?: string; port?: number };
  definition: unknown;
  actorSocket?: ComedyMessageSocket;
  remoteEnd?: RemoteEnd;
  timeoutWorkerInterval?: NodeJS.Timeout;
  getSystem(): { generateActorCreationMessage(definition: unknown, actor: unknown, options: object): PromiseLike<unknown> };
  getState(): string;
  _setState(state: string): void;
  _setBus(bus: ComedyMessageSocket): void;
}

function request(channel: ComedyMessageSocket, message: unknown): Promise<{ error?: string; type?: string; body?: { port?: number; pid?: number } }> {
  return new Promise((resolve, reject) => {
    channel.once('message', resolve);
    channel.on('error', reject);
    channel.once('close', () => reject(new Error('the host agent closed the connection without an answer')));
    channel.write(message, (error) => error && reject(error));
  });
}

/** The actor process's first message: whether its actor initialized ({@link ActorReadiness}). */
function firstMessage(bus: ComedyMessageSocket): Promise<ActorReadiness> {
  return new Promise((resolve, reject) => {
    bus.once('message', (message: ActorReadiness) => {
      if (message?.type === ACTOR_READY || message?.type === ACTOR_FAILED) resolve(message);
      else reject(new Error(`the actor process sent ${JSON.stringify(message)} before saying it was ready`));
    });
    bus.once('close', () => reject(new Error('the actor process closed the connection while its actor initialized')));
  });
}

export function patchRemoteActorParent(onUnreachable: (exit: ActorExit) => Error): void {
  const RemoteActorParent = comedyModule<PatchableClass>('remote-actor-parent.js');

  RemoteActorParent.prototype['_createRemoteWorker'] = function createRemoteWorker(this: RemoteActorParentInstance) {
    const host = this.additionalOptions.host ?? 'localhost';
    const port = this.additionalOptions.port ?? DEFAULT_AGENT_PORT;
    const agent = `${host}:${port}`;
    const create = async () => {
      const secret = requireClusterSecret(`host agent ${agent}`);
      let reply: Awaited<ReturnType<typeof request>>;
      let actorSocket: Socket;
      try {
        const channel = new MessageSocket(await connectAuthenticated(host, port, secret));
        const createMessage = await this.getSystem().generateActorCreationMessage(this.definition, this, { ...this.additionalOptions, mode: 'remote' });
        reply = await request(channel, createMessage);
        channel.end();
      } catch (error) {
        throw onUnreachable({ host: agent, code: null, signal: null, error: error as Error });
      }
      if (reply.error) throw new HostAgentRefusedError(agent, reply.error);
      // Every host agent answers 'create-actor' with an error or the actor's port: a bug if reached.
      if (reply.type !== 'actor-created' || !reply.body?.port) throw new SolsticeError(`Host agent ${agent} answered 'create-actor' with ${JSON.stringify(reply)}`);
      const pid = reply.body.pid;
      try {
        actorSocket = await connectAuthenticated(host, reply.body.port, secret);
      } catch (error) {
        throw onUnreachable({ host: agent, pid, code: null, signal: null, error: error as Error });
      }
      const bus = new MessageSocket(actorSocket);
      // Errors end in 'close', which reports the actor gone.
      bus.on('error', () => undefined);
      let readiness: ActorReadiness;
      try {
        readiness = await firstMessage(bus);
      } catch (error) {
        throw onUnreachable({ host: agent, pid, code: null, signal: null, error: error as Error });
      }
      if (readiness.type === ACTOR_FAILED) {
        actorSocket.destroy();
        throw deserializeError(readiness.error);
      }
      const closed = new Promise<ActorExit>((resolve) => {
        actorSocket.once('close', () => {
          if (this.getState() === 'ready') this._setState('crashed');
          resolve({ host: agent, pid, code: null, signal: null, connectionLost: true });
        });
      });
      this.actorSocket = bus;
      this.remoteEnd = { host: agent, pid, closed, close: () => actorSocket.destroy() };
      this._setBus(bus);
    };
    // Comedy stops an actor's 1 s request-timeout sweep only when the actor is destroyed, which a failed creation never is.
    return P.resolve(create().catch((error: unknown) => {
      clearInterval(this.timeoutWorkerInterval);
      throw error;
    }));
  };

  // Comedy leaves the connection open after the actor's destruction; the actor's process ends when it closes.
  const destroy0 = RemoteActorParent.prototype['destroy0'] as (this: RemoteActorParentInstance) => PromiseLike<unknown>;
  RemoteActorParent.prototype['destroy0'] = function destroyRemote(this: RemoteActorParentInstance) {
    // An actor whose creation failed has no connection to send 'destroy-actor' on.
    if (!this.remoteEnd) return P.resolve(Promise.resolve());
    return P.resolve(Promise.resolve(destroy0.call(this)).finally(() => this.remoteEnd?.close()));
  };
}
