import { connect, type Socket } from 'node:net';
import { PayloadFetchError, PayloadUnavailableError, SolsticeError } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import { payloadFromIpc } from './arrow-ipc.js';
import { FrameHandshakeClient } from '../cluster/frame-handshake.js';
import { requireClusterSecret } from '../cluster/shared-secret.js';
import { encodeFrameHead, FrameReader, type Frame } from './frames.js';
import { connectOptions } from './payload-address.js';
import type { PayloadRef } from './payload-ref.js';
import type { FetchedPayload, PayloadTransport } from './payload-transfer.js';
import { mapPeerSegment, sharedMemoryUnavailable } from './shared-memory.js';

/** A payload the server copied into one of its shared memory segments, lent to this connection. */
interface SegmentAnswer {
  pid: number;
  fd: number;
  bytes: number;
  lease: number;
}

/** How a client's payloads arrived. */
export interface PayloadClientStats {
  /** Mapped from the producer's shared memory (same host). */
  sharedMemory: number;
  /** Read from the socket. */
  socket: number;
}

interface Pending {
  ref: PayloadRef;
  resolve(fetched: FetchedPayload): void;
  reject(error: Error): void;
}

/**
 * One connection to one payload server; requests are pipelined and answered
 * in any order. Over a Unix socket, large payloads come as leases of the
 * server's shared memory: the table is a view of the mapped segment, and the
 * lease goes back when that memory has been collected (no view of it is left).
 */
class PayloadConnection {
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 0;
  private failure: Error | undefined;
  /** Over TCP, until the server has proved the cluster secret: the handshake, and the requests it holds back. */
  private handshake: { client: FrameHandshakeClient; waiting: Buffer[] } | undefined;
  private sharedMemory: boolean;
  private readonly leaseReturns = new FinalizationRegistry<number>((lease) => this.release(lease));
  private leasesHeld = 0;
  private closing = false;

  constructor(readonly address: string, private readonly stats: PayloadClientStats, onClose: () => void, silenceMs: number | undefined) {
    if (address.startsWith('tcp:')) {
      this.handshake = { client: new FrameHandshakeClient(requireClusterSecret(`payload server ${address}`)), waiting: [] };
    }
    this.sharedMemory = address.startsWith('unix:') && sharedMemoryUnavailable() === undefined;
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
    // A server whose process is stopped or whose host vanished keeps the connection open and answers nothing.
    if (silenceMs !== undefined) {
      this.socket.setTimeout(silenceMs, () => {
        if (this.pending.size === 0) return;
        this.failure = new Error(`the payload server answered nothing for ${(silenceMs / 1000).toFixed(1)} s`);
        this.socket.destroy();
      });
    }
    this.socket.on('close', () => {
      onClose();
      const cause = this.failure ?? new Error('connection closed');
      for (const request of this.pending.values()) request.reject(this.unavailable(request.ref, cause));
      this.pending.clear();
    });
  }

  /** Fetches a payload: `take` counts this reader off, `read` keeps it held until `done`. */
  fetch(ref: PayloadRef, op: 'take' | 'read'): Promise<FetchedPayload> {
    return new Promise((resolve, reject) => {
      const requestId = this.nextRequestId++;
      this.pending.set(requestId, { ref, resolve, reject });
      // A request in progress keeps the process alive until its answer comes.
      this.socket.ref();
      this.send(encodeFrameHead({ op, id: ref.id, requestId, sharedMemory: this.sharedMemory }));
    });
  }

  /** Tells the server without waiting: the payload is to be dropped, or one reader is done with it. */
  notify(ref: PayloadRef, op: 'discard' | 'done'): void {
    this.send(encodeFrameHead({ op, id: ref.id }));
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

  /**
   * Ends the connection. While tables still use segments leased on it, it
   * stays open (without keeping the process alive) to hand them back: the
   * server reuses a segment once its lease ends.
   */
  close(): void {
    this.closing = true;
    if (this.leasesHeld === 0) {
      this.socket.destroy();
      return;
    }
    for (const request of this.pending.values()) request.reject(this.unavailable(request.ref, new Error('the payload client was closed')));
    this.pending.clear();
    this.socket.unref();
  }

  private release(lease: number): void {
    this.leasesHeld--;
    if (this.socket.destroyed) return;
    this.socket.write(encodeFrameHead({ op: 'release', lease }));
    if (this.closing && this.leasesHeld === 0) this.socket.end();
  }

  private answer(frame: Frame): void {
    if (this.handshake) {
      this.authenticate(frame.header);
      return;
    }
    const { requestId, ok, error, segment } = frame.header as { requestId: number; ok: boolean; error?: string; segment?: SegmentAnswer };
    const request = this.pending.get(requestId);
    if (!request) {
      if (segment) this.socket.write(encodeFrameHead({ op: 'release', lease: segment.lease }));
      return;
    }
    this.pending.delete(requestId);
    if (!ok) {
      this.settled();
      request.reject(this.fetchError(request.ref, new Error(error)));
      return;
    }
    if (segment) {
      const bytes = this.mapSegment(segment);
      if (!bytes) {
        // Read the leased segment over the socket instead; the server ends the lease with that answer.
        this.pending.set(requestId, request);
        this.socket.write(encodeFrameHead({ op: 'copy', lease: segment.lease, requestId }));
        return;
      }
      this.settled();
      this.stats.sharedMemory++;
      this.decode(request, bytes, 'sharedMemory');
      return;
    }
    this.settled();
    this.stats.socket++;
    this.decode(request, frame.body ?? new Uint8Array(0), 'socket');
  }

  private decode(request: Pending, bytes: Uint8Array, transport: PayloadTransport): void {
    try {
      request.resolve({ payload: payloadFromIpc(bytes, request.ref.splitId), transfer: { transport, bytes: bytes.byteLength } });
    } catch (error) {
      request.reject(this.fetchError(request.ref, error as Error));
    }
  }

  /** A request was answered: with none left, the connection no longer keeps the process alive. */
  private settled(): void {
    if (this.pending.size === 0) this.socket.unref();
  }

  /** Maps a leased segment, or, if this process cannot, says why once and uses the socket from now on. */
  private mapSegment(segment: SegmentAnswer): Buffer | undefined {
    let bytes: Buffer;
    try {
      bytes = mapPeerSegment(segment.pid, segment.fd, segment.bytes);
    } catch (error) {
      this.sharedMemory = false;
      process.emitWarning(`could not map shared memory of process ${segment.pid} (${(error as Error).message}); payloads from ${this.address} cross the socket instead`, { code: 'SOLSTICE_SHARED_MEMORY' });
      return undefined;
    }
    this.leasesHeld++;
    this.leaseReturns.register(bytes.buffer, segment.lease);
    return bytes;
  }

  private unavailable(ref: PayloadRef, cause: Error): PayloadUnavailableError {
    return new PayloadUnavailableError(ref.splitId.slice(0, ref.splitId.indexOf('/')), ref.splitId, this.address, cause);
  }

  private fetchError(ref: PayloadRef, cause: Error): PayloadFetchError {
    return new PayloadFetchError(ref.store, ref.id, ref.splitId, this.address, cause);
  }
}

/** Fetches payloads from the payload servers of other processes, one connection per server. */
export class PayloadClient {
  private readonly connections = new Map<string, PayloadConnection>();
  private readonly counts: PayloadClientStats = { sharedMemory: 0, socket: 0 };
  private silenceMs: number | undefined;

  /**
   * A request that its server leaves without a sound (no byte sent or
   * received on its connection) for `ms` fails as unavailable, on the
   * connections opened from now on. Never shortened: a process's client
   * serves every stage of its job.
   */
  answerWithin(ms: number): void {
    this.silenceMs = Math.max(this.silenceMs ?? 0, ms);
  }

  /** How many payloads arrived each way. */
  stats(): PayloadClientStats {
    return { ...this.counts };
  }

  async take(ref: PayloadRef): Promise<SplitPayload> {
    return (await this.connection(ref).fetch(ref, 'take')).payload;
  }

  /** Fetches a payload that its holder keeps for this reader until {@link done}. */
  async read(ref: PayloadRef): Promise<SplitPayload> {
    return (await this.readWithTransfer(ref)).payload;
  }

  /** Fetches like {@link read}, and says how many bytes crossed for the payload, and how. */
  readWithTransfer(ref: PayloadRef): Promise<FetchedPayload> {
    return this.connection(ref).fetch(ref, 'read');
  }

  discard(ref: PayloadRef): void {
    this.connection(ref).notify(ref, 'discard');
  }

  /** This reader is done with a payload it read. */
  done(ref: PayloadRef): void {
    this.connection(ref).notify(ref, 'done');
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }

  private connection(ref: PayloadRef): PayloadConnection {
    const address = ref.address;
    // Refs of payloads that leave their process carry the address of its server: a bug if reached.
    if (!address) throw new SolsticeError(`Payload ${ref.store}/${ref.id} of split '${ref.splitId}' is held by a process that serves no payloads`);
    let connection = this.connections.get(address);
    if (!connection) {
      connection = new PayloadConnection(address, this.counts, () => {
        if (this.connections.get(address) === connection) this.connections.delete(address);
      }, this.silenceMs);
      this.connections.set(address, connection);
    }
    return connection;
  }
}
