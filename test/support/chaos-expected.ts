import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { ChaosRecord } from './chaos-data.js';
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

/** `actual` holds exactly the lines of `expected`, each as many times; a failure names the first lines missing and unexpected. */
export function sameLines(t: ExecutionContext, actual: string[], expected: string[], label: string): void {
  const counts = new Map<string, number>();
  for (const line of expected) counts.set(line, (counts.get(line) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const line of actual) {
    const left = counts.get(line) ?? 0;
    if (left === 0) unexpected.push(line);
    else counts.set(line, left - 1);
  }
  const missing = [...counts].flatMap(([line, n]) => Array<string>(n).fill(line));
  t.deepEqual({ missing: missing.slice(0, 20), unexpected: unexpected.slice(0, 20) }, { missing: [], unexpected: [] },
    `${label}: ${missing.length} line(s) missing, ${unexpected.length} unexpected`);
  t.is(actual.length, expected.length, `${label}: line count`);
}

/** The chaos job's output folder holds records/ and totals/ and nothing else, and every line of them is expected. */
export async function checkWholeChaosOutput(t: ExecutionContext, output: string, records: ChaosRecord[], totals: ChaosTotals, label = output): Promise<void> {
  t.deepEqual((await readdir(output)).sort(), ['records', 'totals'], `${label}: output folders`);
  t.false(existsSync(join(output, 'records', '_staging')) || existsSync(join(output, 'totals', '_staging')), `${label}: no staging leftovers`);
  sameLines(t, await sortedLines(output), expectedChaosLines(records, totals), label);
}
