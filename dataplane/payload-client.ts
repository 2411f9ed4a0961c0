import { connect, type Socket } from 'node:net';
import { PayloadUnavailableError, SolsticeError } from '../lib/errors.js';
import type { SplitPayload } from '../lib/split-payload.js';
import { payloadFromIpc } from './arrow-ipc.js';
import { FrameHandshakeClient } from '../cluster/frame-handshake.js';
import { requireClusterSecret } from '../cluster/shared-secret.js';
import { encodeFrameHead, FrameReader, type Frame } from './frames.js';
import { connectOptions } from './payload-address.js';
import type { PayloadRef } from './payload-ref.js';

interface Pending {
  ref: PayloadRef;
  resolve(payload: SplitPayload): void;
  reject(error: Error): void;
}

/** One connection to one payload server; requests are pipelined and answered in any order. */
class PayloadConnection {
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 0;
  private failure: Error | undefined;
  /** Over TCP, until the server has proved the cluster secret: the handshake, and the requests it holds back. */
  private handshake: { client: FrameHandshakeClient; waiting: Buffer[] } | undefined;

  constructor(readonly address: string, onClose: () => void) {
    if (address.startsWith('tcp:')) {
      this.handshake = { client: new FrameHandshakeClient(requireClusterSecret(`payload server ${address}`)), waiting: [] };
    }
    const reader = new FrameReader((frame) => this.answer(frame));
    // Payload bodies are read from the socket straight into the buffer the table will live in.
    this.socket = connect({
      ...connectOptions(address),
      onread: {
        buffer: () => reader.readTarget(),
        callback: (bytes: number) => {
          reader.wrote(bytes);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.unref();
    this.socket.on('error', (error) => {
      this.failure = error;
    });
    this.socket.on('close', () => {
      onClose();
      const cause = this.failure ?? new Error('connection closed');
      for (const request of this.pending.values()) request.reject(this.unavailable(request.ref, cause));
      this.pending.clear();
    });
  }

  take(ref: PayloadRef): Promise<SplitPayload> {
    return new Promise((resolve, reject) => {
      const requestId = this.nextRequestId++;
      this.pending.set(requestId, { ref, resolve, reject });
      // A request in progress keeps the process alive until its answer comes.
      this.socket.ref();
      this.send(encodeFrameHead({ op: 'take', id: ref.id, requestId }));
    });
  }

  discard(ref: PayloadRef): void {
    this.send(encodeFrameHead({ op: 'discard', id: ref.id }));
  }

  private send(frame: Buffer): void {
    if (this.handshake) this.handshake.waiting.push(frame);
    else this.socket.write(frame);
  }

  /** The server's greeting and its proof of the cluster secret (TCP only). */
  private authenticate(header: Record<string, unknown>): void {
    const { client, waiting } = this.handshake!;
    let reply: Record<string, unknown> | 'passed';
    try {
      reply = client.receive(header);
    } catch (error) {
      this.failure = error as Error;
      this.socket.destroy();
      return;
    }
    if (reply !== 'passed') {
      this.socket.write(encodeFrameHead(reply));
      return;
    }
    this.handshake = undefined;
    for (const frame of waiting) this.socket.write(frame);
  }

  close(): void {
    this.socket.destroy();
  }

  private answer(frame: Frame): void {
    if (this.handshake) {
      this.authenticate(frame.header);
      return;
    }
    const { requestId, ok, error } = frame.header as { requestId: number; ok: boolean; error?: string };
    const request = this.pending.get(requestId);
    if (!request) return;
    this.pending.delete(requestId);
    if (this.pending.size === 0) this.socket.unref();
    if (!ok) request.reject(this.fetchError(request.ref, new Error(error)));
    else request.resolve(payloadFromIpc(frame.body ?? new Uint8Array(0), request.ref.splitId));
  }

  private unavailable(ref: PayloadRef, cause: Error): PayloadUnavailableError {
    return new PayloadUnavailableError(ref.splitId.slice(0, ref.splitId.indexOf('/')), ref.splitId, this.address, cause);
  }

  private fetchError(ref: PayloadRef, cause: Error): SolsticeError {
    return new SolsticeError(`Could not fetch payload ${ref.store}/${ref.id} of split '${ref.splitId}' from ${this.address}: ${cause.message}`, { cause });
  }
}

/** Fetches payloads from the payload servers of other processes, one connection per server. */
export class PayloadClient {
  private readonly connections = new Map<string, PayloadConnection>();

  take(ref: PayloadRef): Promise<SplitPayload> {
    return this.connection(ref).take(ref);
  }

  discard(ref: PayloadRef): void {
    this.connection(ref).discard(ref);
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }

  private connection(ref: PayloadRef): PayloadConnection {
    const address = ref.address;
    if (!address) throw new SolsticeError(`Payload ${ref.store}/${ref.id} of split '${ref.splitId}' is held by a process that serves no payloads`);
    let connection = this.connections.get(address);
    if (!connection) {
      connection = new PayloadConnection(address, () => {
        if (this.connections.get(address) === connection) this.connections.delete(address);
      });
      this.connections.set(address, connection);
    }
    return connection;
  }
}
