import { ArgumentError } from '../lib/errors/index.js';
import { SharedSegment, sharedMemoryFreeBytes, sharedMemorySizeBytes } from './shared-memory.js';

/** Payloads smaller than this cross the socket: mapping costs more than copying them. */
export const SHARED_MEMORY_MIN_BYTES = 1 << 20;
/** Larger payloads cross the socket too (the mmap binding takes 32-bit sizes). */
const MAX_SEGMENT_BYTES = 1 << 30;
/** The part of /dev/shm a new segment must leave free, for everything else on the host. */
const HEADROOM_FRACTION = 0.25;

/** Environment variable that sets each process's shared memory limit, in MiB (0 turns shared memory off). */
export const SHARED_MEMORY_LIMIT_ENV = 'SOLSTICE_SHARED_MEMORY_MIB';

/** The limit from SOLSTICE_SHARED_MEMORY_MIB, else an eighth of /dev/shm up to 1 GiB. */
export function defaultSharedMemoryLimit(): number {
  const configured = process.env[SHARED_MEMORY_LIMIT_ENV];
  if (configured !== undefined && configured !== '') {
    const mib = Number(configured);
    if (!Number.isFinite(mib) || mib < 0) throw new ArgumentError(SHARED_MEMORY_LIMIT_ENV, configured, `${SHARED_MEMORY_LIMIT_ENV} must be a number of MiB (0 or more), not '${configured}'`);
    return Math.floor(mib * (1 << 20));
  }
  return Math.min(1 << 30, Math.floor(sharedMemorySizeBytes() / 8));
}

export interface Lease {
  readonly id: number;
  readonly segment: SharedSegment;
}

/**
 * The shared memory segments one process lends payloads out of. A segment is
 * leased to one reader from the moment a payload is copied into it until the
 * reader's process has dropped every view of it (or closed its connection),
 * then reused for a payload of about its size. Reuse is what makes this fast:
 * a segment's pages are allocated once, where a buffer received from a
 * socket is new memory every time. At `limitBytes` the pool lends nothing
 * more, and payloads go over the socket until leases come back.
 */
export class SharedMemoryPool {
  private readonly idle: SharedSegment[] = [];
  private readonly leased = new Map<number, SharedSegment>();
  private totalBytes = 0;
  private nextLeaseId = 1;
  private warned = false;
  private closed = false;
  private readonly headroomBytes = HEADROOM_FRACTION * sharedMemorySizeBytes();

  constructor(readonly limitBytes: number) {}

  /** A segment of at least `bytes` bytes for one reader, or undefined if the pool cannot lend one now. */
  lease(bytes: number): Lease | undefined {
    if (this.closed || bytes < SHARED_MEMORY_MIN_BYTES || bytes > MAX_SEGMENT_BYTES) return undefined;
    const size = segmentSize(bytes);
    let segment = this.takeIdle(bytes, size);
    if (!segment) {
      if (size > this.limitBytes) return undefined;
      this.closeIdleUntil(this.limitBytes - size);
      if (this.totalBytes + size > this.limitBytes) return undefined;
      if (sharedMemoryFreeBytes() - size < this.headroomBytes) return undefined;
      try {
        segment = SharedSegment.create(size);
      } catch (error) {
        this.warnOnce(`could not make a shared memory segment of ${size} bytes (${(error as Error).message}); payloads cross the socket until one can be made`);
        return undefined;
      }
      this.totalBytes += size;
    }
    const id = this.nextLeaseId++;
    this.leased.set(id, segment);
    return { id, segment };
  }

  /** The reader is done with a lease; its segment can be lent again. */
  release(id: number): void {
    const segment = this.leased.get(id);
    if (!segment) return;
    this.leased.delete(id);
    this.idle.push(segment);
    if (this.closed) this.closeIdleUntil(0);
  }

  /** Bytes of shared memory the pool holds, lent out or idle. */
  get bytes(): number {
    return this.totalBytes;
  }

  get leases(): number {
    return this.leased.size;
  }

  /** Closes the idle segments, and each leased one once it is released; the pool lends nothing more. */
  close(): void {
    this.closed = true;
    this.closeIdleUntil(0);
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(message, { code: 'SOLSTICE_SHARED_MEMORY' });
  }

  /** The smallest idle segment that holds `bytes` without wasting much of a new one's size. */
  private takeIdle(bytes: number, size: number): SharedSegment | undefined {
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const candidate = this.idle[i]!.size;
      if (candidate >= bytes && candidate <= size * 2 && (best < 0 || candidate < this.idle[best]!.size)) best = i;
    }
    return best < 0 ? undefined : this.idle.splice(best, 1)[0];
  }

  /** Closes idle segments, oldest first, until the pool holds at most `bytes`. */
  private closeIdleUntil(bytes: number): void {
    while (this.totalBytes > bytes && this.idle.length > 0) {
      const segment = this.idle.shift()!;
      segment.close();
      this.totalBytes -= segment.size;
    }
  }
}

/** Sizes in steps of an eighth of a power of two, so segments fit the next payloads of about the same size. */
function segmentSize(bytes: number): number {
  const step = Math.max(1 << 16, 2 ** Math.floor(Math.log2(bytes)) / 8);
  return Math.ceil(bytes / step) * step;
}
