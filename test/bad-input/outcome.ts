/**
 * What one run of a catalogue case gave: the error it failed with (as plain
 * data, so a child process can report it), the dead letters it counted, and
 * the output and dead letters it left on disk, read back with other code than
 * the writers' (JSON.parse, hyparquet, csv-parse).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Row } from '../../lib/index.js';
import { readJsonLinesDir, readParquetDir } from '../support/files.js';
import type { BadInputCase, CaseRun } from './case.js';

/** An error as data: its class name, message, fields (`details()`) and cause; `instance` is the error itself when it was thrown in this process. */
export interface ReportedError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
  cause?: ReportedError;
  instance?: unknown;
}

export interface RunReport {
  error?: ReportedError;
  /** The summary's dead letter count, when the run completed and wrote some. */
  deadLetters?: number;
}

/** Where a run keeps what it writes. */
export interface RunFolders {
  output: string;
  deadLetters: string;
  state: string;
}

/**
 * Runs the case's job in this process; an error in building the job counts as
 * the run's. `keepInstances` keeps the errors themselves in the report, for
 * `instanceof` (not for a report another process reads).
 */
export async function runHere(badInput: BadInputCase, run: CaseRun, folders: RunFolders, keepInstances = true): Promise<RunReport> {
  try {
    const job = await badInput.job!(run);
    const summary = await job.createRunner({ stateBackend: folders.state, deadLetter: folders.deadLetters, logLevel: 'silent' }).run();
    return { deadLetters: summary.deadLetters?.count };
  } catch (error) {
    return { error: reported(error, keepInstances) };
  }
}

export function reported(error: unknown, keepInstance = false): ReportedError {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error), fields: {} };
  const details = (error as { details?: () => Record<string, unknown> }).details;
  return {
    name: error.name,
    message: error.message,
    fields: typeof details === 'function' ? details.call(error) : {},
    ...(error.cause === undefined ? {} : { cause: reported(error.cause, keepInstance) }),
    ...(keepInstance ? { instance: error } : {}),
  };
}

/**
 * The rows of the visible output files (not those staged under `_staging/`),
 * in `format`; a JSON lines file must be complete, every line whole.
 */
export async function visibleOutput(dir: string, format: 'jsonl' | 'parquet' | 'csv'): Promise<Row[]> {
  if (!existsSync(dir)) return [];
  if (format === 'parquet') return await readParquetDir(dir);
  const names = (await readdir(dir)).filter((name) => name.endsWith(`.${format}`)).sort();
  const rows: Row[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    if (!text.endsWith('\n')) throw new Error(`${name} in the output is not complete: it does not end with a newline`);
    if (format === 'csv') rows.push(...(parse(text, { columns: true }) as Row[]));
    else rows.push(...text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Row));
  }
  return rows;
}

/** Every dead letter under `dir`, of every stage's folder. */
export async function deadLettersIn(dir: string): Promise<Row[]> {
  if (!existsSync(dir)) return [];
  const letters: Row[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !/^[_.]/.test(entry.name)) letters.push(...(await readJsonLinesDir(join(dir, entry.name))));
  }
  return letters;
}

/** A value as JSON with its keys sorted at every level and bigints marked, to compare rows whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return `${item}n`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}
