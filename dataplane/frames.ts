/**
 * Framing of the data plane's socket protocol. Every frame is a 4-byte
 * big-endian header length, a JSON header, and, if the header has a
 * `bodyBytes` field, that many bytes of body. Bodies are Arrow IPC streams.
 */
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

/**
 * Cuts a byte stream into frames. A body is assembled into one buffer
 * allocated at its full size, so each byte is copied once.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private header: FrameHeader | undefined;
  private body: Buffer | undefined;
  private bodyFilled = 0;

  constructor(private readonly onFrame: (frame: Frame) => void) {}

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
    if (joined.length < 4 + length) {
      this.pending = [joined];
      return undefined;
    }
    this.header = JSON.parse(joined.toString('utf8', 4, 4 + length)) as FrameHeader;
    this.pending = [];
    this.pendingBytes = 0;
    const bodyBytes = this.header.bodyBytes ?? 0;
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
