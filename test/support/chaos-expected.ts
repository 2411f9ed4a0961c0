import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { ChaosRecord } from './chaos-data.js';
import { sameLines } from './compare.js';
import { sortedLines } from './files.js';

export type ChaosTotals = Map<string, { n: number; amount: number; top: number }>;

/**
 * The chaos job's whole output, as `sortedLines` lists it, built from the generator's records and per-user totals:
 * each record once under records/ with its user as `_key`, and one line per user under totals/.
 */
export function expectedChaosLines(records: ChaosRecord[], totals: ChaosTotals): string[] {
  const lines = records.map((r) => `/records: ${JSON.stringify({ id: r.id, user: r.user, amount: r.amount, _key: r.user })}`);
  for (const [user, total] of totals) lines.push(`/totals: ${JSON.stringify({ _key: user, n: total.n, amount: total.amount, top: total.top })}`);
  return lines.sort();
}

/** The chaos job's output folder holds records/ and totals/ and nothing else, and every line of them is expected. */
export async function checkWholeChaosOutput(t: ExecutionContext, output: string, records: ChaosRecord[], totals: ChaosTotals, label = output): Promise<void> {
  t.deepEqual((await readdir(output)).sort(), ['records', 'totals'], `${label}: output folders`);
  t.false(existsSync(join(output, 'records', '_staging')) || existsSync(join(output, 'totals', '_staging')), `${label}: no staging leftovers`);
  sameLines(t, await sortedLines(output), expectedChaosLines(records, totals), label);
}
