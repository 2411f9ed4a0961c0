/**
 * parquet-wasm's reads, run in a thread of their own. Its asynchronous reader
 * (`ParquetFile.read`, `.stream`) unwraps every error met while decoding: a
 * damaged data page makes its WebAssembly module trap, `RuntimeError:
 * unreachable`, in a microtask outside the read's promise, which ends the
 * process (and, were that caught, leaves the module mid-call). In a worker thread the trap ends only that
 * thread: the read it ran fails with ParquetReaderCrash, and the next read
 * starts a new thread. Reads run one at a time, so a crash is the running
 * read's; streams open in the thread that died are opened again where they
 * stood by their next read. The thread holds a process alive only while it reads.
 */
import { Worker } from 'node:worker_threads';
import { tableFromIPC, type Table } from 'apache-arrow';
import type { ReaderOptions } from 'parquet-wasm';
import type { ParquetReadReply, ParquetReadRequest } from './parquet-wasm-reads.js';

const READS = new URL('./parquet-wasm-reads.js', import.meta.url);

/**
 * The reader's WebAssembly module trapped on the rows being read. The
 * synchronous reader's error on the same rows, when the file is small enough
 * to decode that way (`CHECK_BYTES` in parquet-wasm-reads.ts), says what it met.
 */
export class ParquetReaderCrash extends Error {
  override readonly name = 'ParquetReaderCrash';

  constructor(readonly trap: string, readonly diagnosis?: string) {
    super(diagnosis === undefined
      ? `parquet-wasm's reader crashed on it (${trap}): its data is damaged`
      : `${diagnosis} (parquet-wasm's reader crashed on it: ${trap})`);
  }
}

/** The reader thread of one thread: requests wait here for the thread, which answers one at a time, and start it again when it has died. */
export class ParquetReaderThread {
  private thread: Worker | undefined;
  /** Streams opened so far: the last one's id. */
  private streams = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private running: { resolve: (reply: ParquetReadReply) => void; reject: (error: Error) => void } | undefined;

  /** Rows of the file, as `ParquetFile.read` takes them; rowGroups names the groups a crash is diagnosed on. */
  async read(path: string, options: ReaderOptions & { rowGroups: number[] }): Promise<Table> {
    const reply = await this.diagnosed(this.ask({ op: 'read', path, options }), path, options.rowGroups);
    return tableFromIPC(reply.ipc!);
  }

  /** A stream of record batches of `batchSize` rows over one row group. */
  async openStream(path: string, rowGroup: number, batchSize: number): Promise<ParquetBatchStream> {
    const stream = new ParquetBatchStream(this, ++this.streams, path, rowGroup, batchSize);
    await stream.open();
    return stream;
  }

  /** Sends `request` once the requests before it are answered; rejects with the library's error, or ParquetReaderCrash. */
  ask(request: ParquetReadRequest): Promise<ParquetReadReply> {
    const asked = this.tail.then(() => this.send(request));
    this.tail = asked.catch(() => undefined);
    return asked.then((reply) => {
      if (reply.error !== undefined) throw new Error(reply.error);
      return reply;
    });
  }

  /** What `reading` gives; the ParquetReaderCrash it fails with gets the synchronous reader's error on the same row groups. */
  async diagnosed<T>(reading: Promise<T>, path: string, rowGroups: number[]): Promise<T> {
    try {
      return await reading;
    } catch (error) {
      if (!(error instanceof ParquetReaderCrash)) throw error;
      const check = await this.ask({ op: 'check', path, rowGroups }).then(() => undefined, (failure: unknown) => failure);
      // The check's own error, not a second crash or a file past CHECK_BYTES.
      throw check instanceof Error && !(check instanceof ParquetReaderCrash) ? new ParquetReaderCrash(error.trap, check.message) : error;
    }
  }

  private send(request: ParquetReadRequest): Promise<ParquetReadReply> {
    const thread = this.thread ?? this.start();
    thread.ref();
    return new Promise<ParquetReadReply>((resolve, reject) => {
      this.running = { resolve, reject };
      thread.postMessage(request);
    }).finally(() => {
      this.running = undefined;
      thread.unref();
    });
  }

  private start(): Worker {
    const thread = new Worker(READS);
    const crashed = (error: Error) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      this.running?.reject(new ParquetReaderCrash(`${error.name}: ${error.message}`));
    };
    thread.on('message', (reply: ParquetReadReply) => this.running?.resolve(reply));
    thread.on('error', crashed);
    thread.on('exit', (code) => crashed(new Error(`the thread exited with code ${code}`)));
    this.thread = thread;
    return thread;
  }
}

/**
 * Record batches over one row group, read in the reader thread. It counts the
 * batches it has given, so that when the thread it was open in has died (a
 * crash on another read), it opens again in the new one past them.
 */
export class ParquetBatchStream {
  private given = 0;

  constructor(
    private readonly reader: ParquetReaderThread,
    private readonly id: number,
    private readonly path: string,
    private readonly rowGroup: number,
    private readonly batchSize: number,
  ) {}

  async open(): Promise<void> {
    const { id: stream, path, rowGroup, batchSize } = this;
    await this.reader.diagnosed(this.reader.ask({ op: 'open', stream, path, rowGroup, batchSize, skip: this.given }), path, [rowGroup]);
  }

  /** The next batch, or undefined after the last. */
  async next(): Promise<Table | undefined> {
    for (;;) {
      const reply = await this.reader.diagnosed(this.reader.ask({ op: 'next', stream: this.id }), this.path, [this.rowGroup]);
      if (reply.lost) {
        await this.open();
        continue;
      }
      if (reply.done) return undefined;
      this.given++;
      return tableFromIPC(reply.ipc!);
    }
  }

  async close(): Promise<void> {
    await this.reader.ask({ op: 'close', stream: this.id });
  }
}

/** This thread's reader thread (each worker thread has its own). */
export const parquetReader = new ParquetReaderThread();
