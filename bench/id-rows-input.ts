import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

/** `data/bench/ids-<rows>.jsonl`, one `{"id": n}` line per row, written the first time it is asked for. */
export async function idRowsInput(rows: number): Promise<string> {
  const path = resolve('data', 'bench', `ids-${rows}.jsonl`);
  if (!existsSync(path)) {
    await mkdir(resolve('data', 'bench'), { recursive: true });
    await writeFile(path, Array.from({ length: rows }, (_, id) => JSON.stringify({ id })).join('\n') + '\n');
  }
  return path;
}
