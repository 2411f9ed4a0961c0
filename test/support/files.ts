import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { RUN_MARKER } from '../../operators/sink/output-claim.js';
import type { Row } from '../../lib/arrow-rows.js';

/** The repository root (tests run from dist/test/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(REPO_ROOT, 'dist', 'bin', 'solstice-node.js');
/** URL of the package entry, for workflow files written by tests. */
export const PACKAGE_ENTRY_URL = new URL('../../lib/index.js', import.meta.url).href;

export function tempDir(prefix = 'solstice-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** `dir/in/part-<f>.jsonl` for `files` files of `rowsPerFile` lines `{"id": n}`, ids 0 up in file order. */
export async function writeIdFiles(dir: string, files: number, rowsPerFile: number): Promise<void> {
  await mkdir(join(dir, 'in'), { recursive: true });
  for (let f = 0; f < files; f++) {
    const lines = Array.from({ length: rowsPerFile }, (_, i) => JSON.stringify({ id: f * rowsPerFile + i }));
    await writeFile(join(dir, 'in', `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
}

/**
 * Every row of every Parquet file directly in `dir`, read with hyparquet (not the project's codec), as hyparquet
 * gives them: INT32, FLOAT and DOUBLE as numbers, INT64 as bigints, UTF8 as strings, nulls as null.
 */
export async function readParquetDir(dir: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.parquet')).sort()) {
    rows.push(...(await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, name)) })));
  }
  return rows;
}

/** The row count of each row group of a Parquet file, from its footer as hyparquet reads it. */
export async function parquetRowGroupRows(path: string): Promise<number[]> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return metadata.row_groups.map((group) => Number(group.num_rows));
}

/** Every row of every JSON lines file directly in `dir`. */
export async function readJsonLinesDir(dir: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
    const text = await readFile(join(dir, name), 'utf8');
    for (const line of text.split('\n')) if (line.trim()) rows.push(JSON.parse(line) as Row);
  }
  return rows;
}

export function sortBy<T>(rows: T[], key: (row: T) => number | string): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Runner options that keep the job's checkpoints in a fresh temporary folder. */
export function isolatedState(): { stateBackend: string } {
  return { stateBackend: mkdtempSync(join(tmpdir(), 'solstice-state-')) };
}

/**
 * Every line of every file under `dir` but the sinks' run markers, sorted:
 * the output as bytes, independent of which worker wrote what (a file left
 * staged shows as lines that should not be there).
 */
export async function sortedLines(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === RUN_MARKER) continue;
    const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
    lines.push(...text.split('\n').filter(Boolean).map((line) => `${entry.parentPath.slice(dir.length)}: ${line}`));
  }
  return lines.sort();
}

/** The ids of the checkpoints published (their manifest written) under a job's checkpoints folder of a local or WebHDFS test state. */
export function publishedCheckpointIds(checkpointsDir: string): string[] {
  if (!existsSync(checkpointsDir)) return [];
  return readdirSync(checkpointsDir).filter((id) => existsSync(join(checkpointsDir, id, 'MANIFEST.json')));
}
