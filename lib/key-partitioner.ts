import type { Vector } from 'apache-arrow';
import { columnValues, type Row } from './arrow-rows.js';
import { SplitPayload } from './split-payload.js';

/**
 * Partition of a key: FNV-1a of its text, modulo the partition count. The same
 * key gives the same partition in every process and on every run.
 */
export function partitionOfKey(key: unknown, partitions: number): number {
  const text = String(key);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * Splits a payload into `partitions` payloads by the value of `keyField`;
 * empty partitions are null. Arrow data is split by row index, each partition
 * the same table's rows at its indexes: no row is built.
 */
export function partitionPayload(
  payload: SplitPayload,
  keyField: string,
  partitions: number,
  splitIdOf: (partition: number) => string,
): (SplitPayload | null)[] {
  const arrow = payload.arrowRows;
  const keyColumn = arrow?.table.getChild(keyField);
  if (arrow && keyColumn) {
    const keys = columnValues(keyColumn as Vector);
    const count = arrow.indexes?.length ?? arrow.table.numRows;
    const buckets: number[][] = Array.from({ length: partitions }, () => []);
    for (let i = 0; i < count; i++) {
      const index = arrow.indexes ? arrow.indexes[i]! : i;
      buckets[partitionOfKey(keys[index], partitions)]!.push(index);
    }
    return buckets.map((indexes, p) => (indexes.length === 0 ? null : SplitPayload.fromTableRows(arrow.table, Uint32Array.from(indexes), splitIdOf(p))));
  }
  const buckets: Row[][] = Array.from({ length: partitions }, () => []);
  for (const row of payload.toRows()) buckets[partitionOfKey(row[keyField], partitions)]!.push(row);
  return buckets.map((rows, p) => (rows.length === 0 ? null : SplitPayload.fromRows(rows, splitIdOf(p), payload.knownSchema)));
}
