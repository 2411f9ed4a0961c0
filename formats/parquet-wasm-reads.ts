/**
 * parquet-wasm's reads, as they run in the Parquet reader thread
 * (`parquet-reader-thread.ts` starts it with this module): each request is
 * answered with Arrow IPC bytes, moved to the asking thread without a copy,
 * or with the library's error. What the library cannot report, a trap of its
 * WebAssembly module, ends this thread and nothing else.
 */
import { openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import * as pw from 'parquet-wasm';

/** What the reader thread is asked; a stream is known by an id its asker gives, unique in the asking thread. */
export type ParquetReadRequest =
  /** Rows of the file, as `ParquetFile.read` takes them (row groups; offset and limit in them). */
  | { op: 'read'; path: string; options: pw.ReaderOptions }
  /** Opens a stream of record batches over one row group, its first `skip` batches read and dropped. */
  | { op: 'open'; stream: number; path: string; rowGroup: number; batchSize: number; skip: number }
  | { op: 'next'; stream: number }
  | { op: 'close'; stream: number }
  /** Decodes the row groups with the synchronous reader, which returns the errors the other one traps on; only files up to CHECK_BYTES. */
  | { op: 'check'; path: string; rowGroups: number[] };

/**
 * The answer: `ipc` a table or record batch; `done` the stream's end; `lost`
 * a stream this thread does not hold (it was opened in a thread that has
 * died); `error` the library's message.
 */
export interface ParquetReadReply {
  ipc?: Uint8Array;
  done?: boolean;
  lost?: boolean;
  error?: string;
}

/** The largest file `check` reads whole into memory. */
export const CHECK_BYTES = 64 * 1024 * 1024;

interface OpenStream {
  file: pw.ParquetFile;
  reader: ReadableStreamDefaultReader<pw.RecordBatch>;
}

const streams = new Map<number, OpenStream>();

const answers: { [Op in ParquetReadRequest['op']]: (request: Extract<ParquetReadRequest, { op: Op }>) => Promise<ParquetReadReply> } = {
  async read({ path, options }) {
    const file = await pw.ParquetFile.fromFile(await openAsBlob(path));
    try {
      return { ipc: (await file.read(options)).intoIPCStream() };
    } finally {
      file.free();
    }
  },

  async open({ stream, path, rowGroup, batchSize, skip }) {
    const file = await pw.ParquetFile.fromFile(await openAsBlob(path));
    let reader: OpenStream['reader'];
    try {
      reader = ((await file.stream({ rowGroups: [rowGroup], batchSize })) as ReadableStream<pw.RecordBatch>).getReader();
    } catch (error) {
      file.free();
      throw error;
    }
    streams.set(stream, { file, reader });
    for (let n = 0; n < skip; n++) (await reader.read()).value?.free();
    return {};
  },

  async next({ stream }) {
    const open = streams.get(stream);
    if (!open) return { lost: true };
    const { done, value } = await open.reader.read();
    return done ? { done: true } : { ipc: value.intoIPCStream() };
  },

  async close({ stream }) {
    const open = streams.get(stream);
    streams.delete(stream);
    if (!open) return {};
    try {
      await open.reader.cancel();
    } finally {
      open.file.free();
    }
    return {};
  },

  async check({ path, rowGroups }) {
    if ((await stat(path)).size > CHECK_BYTES) return {};
    try {
      pw.readParquet(await readFile(path), { rowGroups, batchSize: 64 * 1024 }).free();
      return {};
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  },
};

async function answer(request: ParquetReadRequest): Promise<ParquetReadReply> {
  try {
    return await (answers[request.op] as (request: ParquetReadRequest) => Promise<ParquetReadReply>)(request);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const port = parentPort;
if (!port) throw new Error('parquet-wasm-reads.js runs in the Parquet reader thread, not imported');
port.on('message', (request: ParquetReadRequest) => {
  void answer(request).then((reply) => {
    // The library returns each buffer copied out of its memory; a view into that memory could not be moved.
    const ipc = reply.ipc && (reply.ipc.byteOffset === 0 && reply.ipc.byteLength === reply.ipc.buffer.byteLength ? reply.ipc : reply.ipc.slice());
    port.postMessage(ipc ? { ...reply, ipc } : reply, ipc ? [ipc.buffer as ArrayBuffer] : []);
  });
});
