import { closeSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

/** The part of `@riaskov/mmap-io` the data plane uses. */
interface Mmap {
  map(size: number, protection: number, flags: number, fd: number, offset?: number): Buffer;
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly MAP_SHARED: number;
  readonly MAP_POPULATE: number;
  readonly PAGESIZE: number;
}

/** Where segments are made: a tmpfs, so their pages are memory, not disk. */
const SHARED_MEMORY_DIR = '/dev/shm';

let loaded: { mmap?: Mmap; unavailable?: string } | undefined;

function load(): { mmap?: Mmap; unavailable?: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') return (loaded = { unavailable: `shared memory segments are implemented for Linux only (this is ${process.platform})` });
  try {
    statfsSync(SHARED_MEMORY_DIR);
  } catch (error) {
    return (loaded = { unavailable: `${SHARED_MEMORY_DIR} is not usable: ${(error as Error).message}` });
  }
  try {
    // An optional dependency with a native addon: a machine that could not build it moves payloads over sockets.
    const mmap = createRequire(import.meta.url)('@riaskov/mmap-io') as Mmap | { default: Mmap };
    return (loaded = { mmap: 'map' in mmap ? mmap : mmap.default });
  } catch (error) {
    return (loaded = { unavailable: `the optional package @riaskov/mmap-io could not be loaded: ${(error as Error).message}` });
  }
}

/** Why this process cannot use shared memory segments, or undefined if it can. */
export function sharedMemoryUnavailable(): string | undefined {
  return load().unavailable;
}

function mmapModule(): Mmap {
  const { mmap, unavailable } = load();
  if (!mmap) throw new Error(unavailable);
  return mmap;
}

/** Bytes free in the shared memory file system. */
export function sharedMemoryFreeBytes(): number {
  const stats = statfsSync(SHARED_MEMORY_DIR);
  return stats.bavail * stats.bsize;
}

/** Size of the shared memory file system. */
export function sharedMemorySizeBytes(): number {
  const stats = statfsSync(SHARED_MEMORY_DIR);
  return stats.blocks * stats.bsize;
}

const ZEROS = Buffer.alloc(1 << 20);

/**
 * A region of shared memory that this process writes payloads into and other
 * processes on the host map. It is an unlinked file in /dev/shm, kept by its
 * open descriptor: nothing is left behind when the process dies, even by
 * SIGKILL. Another process opens it as /proc/PID/fd/FD.
 */
export class SharedSegment {
  private constructor(readonly fd: number, readonly size: number, readonly memory: Buffer) {}

  /**
   * Makes a segment of `size` bytes. Its pages are allocated by writing
   * zeros, so a full /dev/shm is an error here rather than a SIGBUS when the
   * mapping is first written (and writing is faster than ftruncate and
   * MAP_POPULATE, measured).
   */
  static create(size: number): SharedSegment {
    const mmap = mmapModule();
    const path = `${SHARED_MEMORY_DIR}/solstice-${process.pid}-${randomUUID().slice(0, 8)}`;
    const fd = openSync(path, 'wx+', 0o600);
    try {
      unlinkSync(path);
      for (let written = 0; written < size; ) written += writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, size - written), written);
      // Populated: one call maps every page, where touching them one by one faults 8192 times per 32 MiB.
      return new SharedSegment(fd, size, mmap.map(size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED | mmap.MAP_POPULATE, fd, 0));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Closes the descriptor; the memory goes once every mapping of it (this process's too) is collected. */
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Maps the first `bytes` bytes of another process's segment. The mapping is
 * shared and writable: the segment is lent to this reader alone until it
 * releases it, so an operator that changes its input in place changes only
 * its own copy. Pages are mapped as they are first read (a fault maps 16 at
 * a time), so columns an operator never reads cost nothing; mapping them
 * all up front (MAP_POPULATE) measured the same for a reader of every byte.
 * It is unmapped when the returned buffer, and every view of its memory,
 * has been collected.
 */
export function mapPeerSegment(pid: number, fd: number, bytes: number): Buffer {
  const mmap = mmapModule();
  const mapped = Math.max(mmap.PAGESIZE, Math.ceil(bytes / mmap.PAGESIZE) * mmap.PAGESIZE);
  const descriptor = openSync(`/proc/${pid}/fd/${fd}`, 'r+');
  try {
    return mmap.map(mapped, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, descriptor, 0).subarray(0, bytes);
  } finally {
    closeSync(descriptor);
  }
}
