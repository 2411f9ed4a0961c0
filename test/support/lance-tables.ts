import * as lancedb from '@lancedb/lancedb';
import { dirname, basename } from 'node:path';
import type { Row } from '../../lib/arrow-rows.js';

/** The test's oracle rows: `id`, `name` n<id>, `score` id / 2. */
export function itemRows(from: number, count: number): Row[] {
  return Array.from({ length: count }, (_, i) => ({ id: from + i, name: `n${from + i}`, score: (from + i) / 2 }));
}

/** Opens a table by its folder's location, with LanceDB itself (not the operators under test). */
export async function openLance(uri: string, storageOptions?: Record<string, string>): Promise<lancedb.Table> {
  const db = await lancedb.connect(uri.startsWith('s3://') ? uri.slice(0, uri.lastIndexOf('/')) : dirname(uri), storageOptions ? { storageOptions } : {});
  return db.openTable(basename(uri).replace(/\.lance$/, ''));
}

/** Every value of `column` in the table, sorted. */
export async function columnSorted(table: lancedb.Table, column: string): Promise<number[]> {
  const rows = await table.query().select([column]).toArray();
  return rows.map((row) => Number(row[column])).sort((a, b) => a - b);
}

/** The tables still staged beside a table (a sink leaves none once its job has ended). */
export async function stagedTables(uri: string, storageOptions?: Record<string, string>): Promise<string[]> {
  const folder = uri.startsWith('s3://') ? uri.slice(0, uri.lastIndexOf('/')) : dirname(uri);
  const db = await lancedb.connect(`${folder}/_solstice_staging/${basename(uri).replace(/\.lance$/, '')}`, storageOptions ? { storageOptions } : {});
  return db.tableNames();
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
