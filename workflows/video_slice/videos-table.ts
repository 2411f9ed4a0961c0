import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { InputNotFoundError } from '../../lib/index.js';

/** The file extensions `importVideos` takes as videos. */
export const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.ts', '.mpg', '.mpeg'];

/** A row of the videos table: one video file. */
export interface VideoRow {
  /** Absolute path. */
  video: string;
  /** Path relative to the folder imported. */
  name: string;
  /** Bytes. */
  size: number;
}

/**
 * Builds (or brings up to date) the Lance table of the videos under `dir`
 * (every file with a video extension, recursively), one row per video:
 * `video` (absolute path), `name`, `size`. Videos already in the table are
 * left as they are, and nothing is committed when none is new, so importing
 * the same folder again changes nothing. Returns how many rows it added.
 */
export async function importVideos(dir: string, tableUri: string): Promise<{ added: number; total: number }> {
  const root = resolve(dir);
  const files = await videoFiles(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new InputNotFoundError(dir);
    throw error;
  });
  if (files.length === 0) throw new InputNotFoundError(`${dir} (no file ending in ${VIDEO_EXTENSIONS.join(', ')})`);
  const rows: VideoRow[] = [];
  for (const file of files) rows.push({ video: file, name: relative(root, file), size: (await stat(file)).size });
  const uri = resolve(tableUri);
  const db = await lancedb.connect(dirname(uri));
  const name = basename(uri).replace(/\.lance$/, '');
  if (!(await db.tableNames()).includes(name)) {
    await db.createTable(name, rows as unknown as Record<string, unknown>[]);
    return { added: rows.length, total: rows.length };
  }
  const table = await db.openTable(name);
  const known = new Set((await table.query().select(['video']).toArray()).map((row) => String(row.video)));
  const added = rows.filter((row) => !known.has(row.video));
  if (added.length > 0) await table.add(added as unknown as Record<string, unknown>[]);
  return { added: added.length, total: known.size + added.length };
}

async function videoFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name.endsWith('.lance')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await videoFiles(path)));
    else if (entry.isFile() && VIDEO_EXTENSIONS.includes(extname(entry.name).toLowerCase())) found.push(path);
  }
  return found.sort();
}
