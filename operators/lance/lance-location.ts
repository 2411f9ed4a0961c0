import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import type { Schema } from 'apache-arrow';
import { OperatorConfigError } from '../../lib/errors/index.js';

/** Credentials and endpoint of an object store, as Lance takes them (`aws_access_key_id`, `aws_endpoint`, `allow_http`, ...). */
export type StorageOptions = Record<string, string>;

/**
 * Where a Lance table lives: `uri` is the table's own location, a path or an
 * object store URI ending in the table's folder (`/data/out/slices.lance`,
 * `s3://bucket/videos/slices.lance`). LanceDB opens it as table `name` of
 * the database at `database`, the folder above.
 */
export interface LanceLocation {
  readonly uri: string;
  readonly database: string;
  readonly name: string;
  readonly storageOptions: StorageOptions | undefined;
}

export function lanceLocation(uri: unknown, storageOptions: StorageOptions | undefined, operator: string): LanceLocation {
  if (typeof uri !== 'string' || uri === '') throw new OperatorConfigError(`${operator} needs 'uri', the Lance table's location (a path or s3://bucket/path/name.lance)`);
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri);
  const full = remote ? uri.replace(/\/+$/, '') : resolve(uri);
  const cut = full.lastIndexOf('/');
  const folder = full.slice(cut + 1);
  const name = folder.replace(/\.lance$/, '');
  if (cut < 0 || name === '') throw new OperatorConfigError(`${operator} 'uri' must end in the table's folder, got '${uri}'`);
  return { uri: full, database: full.slice(0, cut) || '/', name, storageOptions };
}

const connections = new Map<string, Promise<lancedb.Connection>>();

/** The process's connection to a Lance database, one per location and options. */
export function connectTo(database: string, storageOptions: StorageOptions | undefined): Promise<lancedb.Connection> {
  const key = JSON.stringify([database, storageOptions ?? {}]);
  let connection = connections.get(key);
  if (!connection) {
    connection = lancedb.connect(database, storageOptions ? { storageOptions } : {});
    connections.set(key, connection);
    connection.catch(() => connections.delete(key));
  }
  return connection;
}

/** The table at `location`, or undefined if there is none. */
export async function openTableAt(location: LanceLocation): Promise<lancedb.Table | undefined> {
  const db = await connectTo(location.database, location.storageOptions);
  try {
    return await db.openTable(location.name);
  } catch (error) {
    if (/not found|does not exist/i.test((error as Error).message)) return undefined;
    throw error;
  }
}

/** Creates the empty table at `location` with `schema`, or, if another writer created it first, opens theirs. */
export async function createEmptyTableAt(location: LanceLocation, schema: Schema): Promise<lancedb.Table> {
  const db = await connectTo(location.database, location.storageOptions);
  try {
    return await db.createEmptyTable(location.name, schema, { mode: 'create' });
  } catch (error) {
    const existing = await openTableAt(location);
    if (!existing) throw error;
    return existing;
  }
}

/** Every table name of a database, page by page. */
export async function tableNamesOf(db: lancedb.Connection): Promise<string[]> {
  const names: string[] = [];
  for (;;) {
    const page = await db.tableNames({ limit: 1000, ...(names.length > 0 ? { startAfter: names[names.length - 1]! } : {}) });
    names.push(...page);
    if (page.length < 1000) return names;
  }
}

/**
 * `text` as a part of a Lance table or tag name: letters, digits and `_`
 * only, so that `-` can separate parts; text that had other characters gets
 * a digest of itself, so different texts stay different names.
 */
export function namePart(text: string): string {
  if (/^[A-Za-z0-9_]+$/.test(text)) return text;
  return `${text.replace(/[^A-Za-z0-9_]/g, '_')}_${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}
