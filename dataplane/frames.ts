/**
 * Framing of the data plane's socket protocol. Every frame is a 4-byte
 * big-endian header length, a JSON header, and, if the header has a
 * `bodyBytes` field, that many bytes of body. Bodies are Arrow IPC streams.
 */
import { FrameError } from '../lib/errors/index.js';

export interface FrameHeader {
  bodyBytes?: number;
  [field: string]: unknown;
}

export interface Frame {
  header: FrameHeader;
  body?: Buffer;
}

/** The frame's leading bytes; the body, if any, is written after it as it is (no copy). */
export function encodeFrameHead(header: FrameHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.allocUnsafe(4 + json.length);
  head.writeUInt32BE(json.length, 0);
  json.copy(head, 4);
  return head;
}

const SCRATCH_BYTES = 64 * 1024;

/** What a reader accepts; a peer that sends more is cut off. */
export interface FrameLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

const NO_LIMITS: FrameLimits = { maxHeaderBytes: Number.MAX_SAFE_INTEGER, maxBodyBytes: Number.MAX_SAFE_INTEGER };

/**
 * Cuts a byte stream into frames. A body is assembled into one buffer
 * allocated at its full size. Fed by `push()` ('data' events), each body byte
 * is copied once; fed through a socket's `onread` (`readTarget()`, then
 * `wrote()`), the socket reads body bytes straight into the body, with no copy.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private header: FrameHeader | undefined;
  private body: Buffer | undefined;
  private bodyFilled = 0;
  private scratch: Buffer | undefined;
  private readingIntoBody = false;

  constructor(private readonly onFrame: (frame: Frame) => void, private readonly limits: FrameLimits = NO_LIMITS) {}

  /** Where the socket's next read goes: the rest of the body being read, or a scratch buffer. */
  readTarget(): Buffer {
    this.readingIntoBody = this.body !== undefined;
    if (this.body) return this.body.subarray(this.bodyFilled);
    this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
    return this.scratch;
  }

  /** The socket read `bytes` bytes into the last `readTarget()`. */
  wrote(bytes: number): void {
    if (!this.readingIntoBody) {
      // The scratch buffer is read into again next time: what it holds is copied out (headers, a body's first bytes).
      this.push(Buffer.from(this.scratch!.subarray(0, bytes)));
      return;
    }
    this.bodyFilled += bytes;
    if (this.bodyFilled === this.body!.length) this.emit();
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.body) {
        const n = Math.min(this.body.length - this.bodyFilled, chunk.length - offset);
        chunk.copy(this.body, this.bodyFilled, offset, offset + n);
        this.bodyFilled += n;
        offset += n;
        if (this.bodyFilled === this.body.length) this.emit();
        continue;
      }
      this.pending.push(offset === 0 ? chunk : chunk.subarray(offset));
      this.pendingBytes += chunk.length - offset;
      offset = chunk.length;
      const rest = this.readHeader();
      if (rest) {
        chunk = rest;
        offset = 0;
      }
    }
  }

  /** Parses a header from the pending bytes if they hold one; returns the bytes after it, to be read next. */
  private readHeader(): Buffer | undefined {
    if (this.pendingBytes < 4) return undefined;
    const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const length = joined.readUInt32BE(0);
    if (length > this.limits.maxHeaderBytes) throw new FrameError(`a frame header of ${length} bytes is over the limit of ${this.limits.maxHeaderBytes}`);
    if (joined.length < 4 + length) {
      this.pending = [joined];
      return undefined;
    }
    let header: unknown;
    try {
      header = JSON.parse(joined.toString('utf8', 4, 4 + length));
    } catch (error) {
      throw new FrameError(`a frame header is not JSON: ${(error as Error).message}`);
    }
    if (typeof header !== 'object' || header === null) throw new FrameError('a frame header is not an object');
    this.header = header as FrameHeader;
    this.pending = [];
    this.pendingBytes = 0;
    const bodyBytes = this.header.bodyBytes ?? 0;
    if (!Number.isSafeInteger(bodyBytes) || bodyBytes < 0 || bodyBytes > this.limits.maxBodyBytes) {
      throw new FrameError(`a frame body of ${String(bodyBytes)} bytes is not allowed here (limit ${this.limits.maxBodyBytes})`);
    }
    if (bodyBytes > 0) {
      this.body = Buffer.allocUnsafe(bodyBytes);
      this.bodyFilled = 0;
    } else {
      this.emit();
    }
    const rest = joined.subarray(4 + length);
    return rest.length > 0 ? rest : undefined;
  }

  private emit(): void {
    const frame: Frame = { header: this.header!, body: this.body };
    this.header = undefined;
    this.body = undefined;
    this.bodyFilled = 0;
    this.onFrame(frame);
  }
}
