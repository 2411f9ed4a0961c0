import { rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describeCause } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import { payloadToIpcChunks } from './arrow-ipc.js';
import { FrameHandshakeServer } from '../cluster/frame-handshake.js';
import { encodeFrameHead, FrameReader, type Frame } from './frames.js';
import type { PayloadAddress } from './payload-address.js';
import type { SharedMemoryPool } from './shared-memory-pool.js';
import { newSocketPath } from './socket-files.js';

/** What a payload server serves from: the payloads its process holds. */
export interface ServedPayloads {
  takeLocal(id: string): SplitPayload;
  /** The payload, held on for the reader until `doneLocal`. */
  readLocal(id: string): SplitPayload;
  doneLocal(id: string): void;
  discardLocal(id: string): void;
}

/**
 * Serves a process's payloads to other processes: a `take` request is
 * answered with the payload as an Arrow IPC stream, written to the socket
 * without a further copy. Listens on a Unix socket in the temporary
 * directory (the socket file is removed when the process exits, or by a
 * later process if it was killed: {@link newSocketPath}), or, on a
 * cluster's host, on TCP at the host agent's address, where a client must
 * prove the cluster secret before its first request (docs/cluster.md).
 *
 * On the Unix socket, a client that can map shared memory says so in its
 * request; a large payload is then copied into a segment of the process's
 * {@link SharedMemoryPool}, and the answer names the segment instead of
 * carrying the bytes. The client releases the lease when it no longer uses
 * the segment, or by closing its connection.
 */
export class PayloadServer {
  private constructor(
    private readonly server: Server,
    readonly address: PayloadAddress,
    private readonly connections: Set<Socket>,
    private readonly removeSocketFile?: () => void,
  ) {}

  static async listenLocal(payloads: ServedPayloads, sharedMemory?: SharedMemoryPool): Promise<PayloadServer> {
    const path = newSocketPath();
    const connections = new Set<Socket>();
    const server = createServer((socket) => serveConnection(tracked(connections, socket), payloads, { sharedMemory }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Serving must not keep a process alive that has nothing else to do.
    server.unref();
    const removeSocketFile = () => rmSync(path, { force: true });
    process.once('exit', removeSocketFile);
    return new PayloadServer(server, `unix:${path}`, connections, () => {
      process.off('exit', removeSocketFile);
      removeSocketFile();
    });
  }

  static async listenTcp(host: string, payloads: ServedPayloads, secret: Buffer): Promise<PayloadServer> {
    const connections = new Set<Socket>();
    const server = createServer((socket) => serveConnection(tracked(connections, socket), payloads, { secret }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    const { port } = server.address() as AddressInfo;
    return new PayloadServer(server, `tcp:${host.includes(':') ? `[${host}]` : host}:${port}`, connections);
  }

  /** Stops listening and ends the open connections, and with them their readers' leases; the socket file goes. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.connections) socket.destroy();
    await closed;
    this.removeSocketFile?.();
  }
}

function tracked(connections: Set<Socket>, socket: Socket): Socket {
  connections.add(socket);
  socket.once('close', () => connections.delete(socket));
  return socket;
}

/** Requests carry no body; their headers are small. */
const REQUEST_LIMITS = { maxHeaderBytes: 64 * 1024, maxBodyBytes: 0 };

function serveConnection(socket: Socket, payloads: ServedPayloads, options: { secret?: Buffer; sharedMemory?: SharedMemoryPool }): void {
  socket.setNoDelay(true);
  let handshake = options.secret ? new FrameHandshakeServer(options.secret) : undefined;
  if (handshake) socket.write(encodeFrameHead(handshake.hello()));
  /** This connection's leases: each a segment holding a payload of so many bytes. */
  const leases = new Map<number, { memory: Buffer; bytes: number }>();
  const endLease = (lease: number) => {
    leases.delete(lease);
    options.sharedMemory!.release(lease);
  };
  const reader = new FrameReader((frame: Frame) => {
    if (socket.destroyed) return;
    if (handshake) {
      const welcome = handshake.accept(frame.header);
      if (!welcome) {
        socket.destroy();
        return;
      }
      handshake = undefined;
      socket.write(encodeFrameHead(welcome));
      return;
    }
    const { op, id, requestId, sharedMemory, lease } = frame.header as { op: string; id: string; requestId?: number; sharedMemory?: boolean; lease?: number };
    if (op === 'discard') {
      payloads.discardLocal(id);
      return;
    }
    if (op === 'done') {
      payloads.doneLocal(id);
      return;
    }
    // Only this connection's own leases: a client cannot touch a segment another one is reading.
    const held = typeof lease === 'number' ? leases.get(lease) : undefined;
    if (op === 'release') {
      if (held) endLease(lease!);
      return;
    }
    if (op === 'copy') {
      // The client could not map the segment: it gets the bytes, and the lease ends.
      if (!held) {
        socket.write(encodeFrameHead({ requestId, ok: false, error: `no lease ${String(lease)} on this connection` }));
        return;
      }
      socket.cork();
      socket.write(encodeFrameHead({ requestId, ok: true, bodyBytes: held.bytes }));
      // The segment may be lent again only once the socket has sent its bytes.
      socket.write(held.memory.subarray(0, held.bytes), () => endLease(lease!));
      socket.uncork();
      return;
    }
    let body: Uint8Array[];
    try {
      if (op !== 'take' && op !== 'read') throw new Error(`unknown request '${op}'`);
      body = payloadToIpcChunks(op === 'take' ? payloads.takeLocal(id) : payloads.readLocal(id));
    } catch (error) {
      socket.write(encodeFrameHead({ requestId, ok: false, error: describeCause(error) }));
      return;
    }
    const bytes = body.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const leased = sharedMemory === true ? options.sharedMemory?.lease(bytes) : undefined;
    if (leased) {
      let offset = 0;
      for (const chunk of body) {
        leased.segment.memory.set(chunk, offset);
        offset += chunk.byteLength;
      }
      leases.set(leased.id, { memory: leased.segment.memory, bytes });
      socket.write(encodeFrameHead({ requestId, ok: true, segment: { pid: process.pid, fd: leased.segment.fd, bytes, lease: leased.id } }));
      return;
    }
    socket.cork();
    socket.write(encodeFrameHead({ requestId, ok: true, bodyBytes: bytes }));
    for (const chunk of body) socket.write(chunk);
    socket.uncork();
  }, REQUEST_LIMITS);
  socket.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch {
      // A peer that breaks the protocol (or tries its limits) is cut off.
      socket.destroy();
    }
  });
  // A reader that went away (a killed process) is no concern of the server's, but the segments it held come back.
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    for (const lease of leases.keys()) options.sharedMemory!.release(lease);
    leases.clear();
  });
}
