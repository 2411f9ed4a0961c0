import type { Row } from './arrow-rows.js';
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

/** Splits a payload into `partitions` payloads by the value of `keyField`; empty partitions are null. */
export function partitionPayload(
  payload: SplitPayload,
  keyField: string,
  partitions: number,
  splitIdOf: (partition: number) => string,
): (SplitPayload | null)[] {
  const buckets: Row[][] = Array.from({ length: partitions }, () => []);
  for (const row of payload.toRows()) buckets[partitionOfKey(row[keyField], partitions)]!.push(row);
  return buckets.map((rows, p) => (rows.length === 0 ? null : SplitPayload.fromRows(rows, splitIdOf(p), payload.knownSchema)));
}
