import { isDeepStrictEqual } from 'node:util';
import type { ExecutionContext } from 'ava';

/** How many differences a failed comparison shows (ava's own diff of thousands of rows overflows the stack). */
const SHOWN = 10;

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
  t.deepEqual({ missing: missing.slice(0, SHOWN), unexpected: unexpected.slice(0, SHOWN) }, { missing: [], unexpected: [] },
    `${label}: ${missing.length} line(s) missing, ${unexpected.length} unexpected`);
  t.is(actual.length, expected.length, `${label}: line count`);
}

/** `actual` equals `expected` row by row (both in the same order); a failure shows the first rows that differ. */
export function sameRows(t: ExecutionContext, actual: readonly unknown[], expected: readonly unknown[], label = 'rows'): void {
  const differing: { index: number; actual: unknown; expected: unknown }[] = [];
  let count = 0;
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    if (isDeepStrictEqual(actual[i], expected[i])) continue;
    count++;
    if (differing.length < SHOWN) differing.push({ index: i, actual: actual[i], expected: expected[i] });
  }
  t.deepEqual(differing, [], `${label}: ${count} row(s) differ (${actual.length} rows, ${expected.length} expected)`);
}
