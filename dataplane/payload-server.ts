import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SplitPayload } from '../lib/split-payload.js';
import { payloadToIpcChunks } from './arrow-ipc.js';
import { encodeFrameHead, FrameReader, type Frame } from './frames.js';
import type { PayloadAddress } from './payload-address.js';

/** What a payload server serves from: the payloads its process holds. */
export interface ServedPayloads {
  takeLocal(id: string): SplitPayload;
  discardLocal(id: string): void;
}

/**
 * Serves a process's payloads to other processes: a `take` request is
 * answered with the payload as an Arrow IPC stream, written to the socket
 * without a further copy. Listens on a Unix socket in the temporary
 * directory; the socket file is removed when the process exits.
 */
export class PayloadServer {
  private constructor(private readonly server: Server, readonly address: PayloadAddress) {}

  static async listenLocal(payloads: ServedPayloads): Promise<PayloadServer> {
    const path = join(tmpdir(), `solstice-${process.pid}-${randomUUID().slice(0, 8)}.sock`);
    const server = createServer((socket) => serveConnection(socket, payloads));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Serving must not keep a process alive that has nothing else to do.
    server.unref();
    process.once('exit', () => rmSync(path, { force: true }));
    return new PayloadServer(server, `unix:${path}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function serveConnection(socket: Socket, payloads: ServedPayloads): void {
  socket.setNoDelay(true);
  const reader = new FrameReader((frame: Frame) => {
    const { op, id, requestId } = frame.header as { op: string; id: string; requestId?: number };
    if (op === 'discard') {
      payloads.discardLocal(id);
      return;
    }
    let body: Uint8Array[];
    try {
      if (op !== 'take') throw new Error(`unknown request '${op}'`);
      body = payloadToIpcChunks(payloads.takeLocal(id));
    } catch (error) {
      socket.write(encodeFrameHead({ requestId, ok: false, error: error instanceof Error ? error.message : String(error) }));
      return;
    }
    socket.cork();
    socket.write(encodeFrameHead({ requestId, ok: true, bodyBytes: body.reduce((sum, chunk) => sum + chunk.byteLength, 0) }));
    for (const chunk of body) socket.write(chunk);
    socket.uncork();
  });
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  // A reader that went away (a killed process) is no concern of the server's.
  socket.on('error', () => socket.destroy());
}
