/**
 * Row ranges of a Parquet row group that has no offset index, read from one
 * stream over the group. Without the index (page locations), parquet-wasm
 * reaches row `offset` of a group only by going through the pages before it,
 * so reading a group as N ranges that way decodes it about N/2 times (a
 * 4M-row group as 62 ranges: 32 s against 1.5 s for the whole group, see
 * docs/libraries.md). A cursor keeps the group's stream open between splits
 * of the same process instead, and the next range continues where the last
 * one stopped: the group is decoded once per process. parquet-wasm's stream
 * decodes the whole group before its first batch, so an open cursor holds the
 * decoded group in the WebAssembly memory of the Parquet reader thread (Arrow
 * columns, not row objects) until its last range is read or it is evicted.
 */
import type { Table } from 'apache-arrow';
import { parquetReader, type ParquetBatchStream } from './parquet-reader-thread.js';

/** Open cursors kept per process, each holding one decoded row group. */
const MAX_OPEN_CURSORS = 2;

class RowGroupCursor {
  /** Row of the group where `buffered` (or, without it, the stream's next batch) starts. */
  position = 0;
  private buffered: Table | undefined;

  private constructor(private readonly stream: ParquetBatchStream) {}

  static async open(path: string, group: number, batchSize: number): Promise<RowGroupCursor> {
    return new RowGroupCursor(await parquetReader.openStream(path, group, batchSize));
  }

  /** Rows `[start, end)` of the group; `start` must not be before `position`. */
  async take(start: number, end: number): Promise<Table> {
    const parts: Table[] = [];
    while (this.position < end) {
      const batch = this.buffered ?? (await this.stream.next());
      this.buffered = undefined;
      if (!batch) throw new Error(`the row group ended at row ${this.position}, before row ${end}`);
      const batchStart = this.position;
      const batchEnd = batchStart + batch.numRows;
      if (batchEnd <= start) {
        this.position = batchEnd;
        continue;
      }
      const from = Math.max(start, batchStart) - batchStart;
      const to = Math.min(end, batchEnd) - batchStart;
      parts.push(from === 0 && to === batch.numRows ? batch : batch.slice(from, to));
      if (to < batch.numRows) this.buffered = batch.slice(to);
      this.position = batchStart + to;
    }
    return parts.length === 1 ? parts[0]! : parts[0]!.concat(...parts.slice(1));
  }

  close(): Promise<void> {
    return this.stream.close();
  }
}

const cursors = new Map<string, RowGroupCursor>();
/** The tail of each key's queue: reads of one row group run one at a time, in the order asked. */
const queues = new Map<string, Promise<unknown>>();

/**
 * Rows `[start, end)` of row group `group` of a Parquet file, continuing this
 * process's stream over the group when it has not passed `start`, else
 * opening a new one. `groupRows` closes the stream after the group's last row.
 */
export function readRowGroupRange(path: string, group: number, start: number, end: number, groupRows: number): Promise<Table> {
  const key = `${group}\0${path}`;
  const previous = queues.get(key) ?? Promise.resolve();
  const read = previous.catch(() => undefined).then(() => readInOrder(key, path, group, start, end, groupRows));
  const tail = read.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return read;
}

async function readInOrder(key: string, path: string, group: number, start: number, end: number, groupRows: number): Promise<Table> {
  let cursor = cursors.get(key);
  if (cursor && cursor.position > start) {
    cursors.delete(key);
    await cursor.close();
    cursor = undefined;
  }
  // A cursor in use is out of the map, so every cursor in it is idle, least recently used first.
  cursors.delete(key);
  cursor ??= await RowGroupCursor.open(path, group, end - start);
  let table: Table;
  try {
    table = await cursor.take(start, end);
  } catch (error) {
    await cursor.close();
    throw error;
  }
  if (end >= groupRows) {
    await cursor.close();
  } else {
    cursors.set(key, cursor);
    for (const [oldKey, old] of cursors) {
      if (cursors.size <= MAX_OPEN_CURSORS) break;
      cursors.delete(oldKey);
      await old.close();
    }
  }
  return table;
}
