import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ChaosRecord {
  id: number;
  user: string;
  amount: number;
}

/** `files` JSON lines files holding `records` records in all; returns them and the per-user totals. */
export async function writeChaosInput(dir: string, files: number, records: number) {
  await mkdir(dir, { recursive: true });
  const all: ChaosRecord[] = [];
  for (let i = 0; i < records; i++) all.push({ id: i, user: `u${(i * 7) % 53}`, amount: (i % 17) + 1 });
  for (let f = 0; f < files; f++) {
    const part = all.filter((r) => r.id % files === f);
    await writeFile(join(dir, `in-${f}.jsonl`), part.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  const totals = new Map<string, { n: number; amount: number; top: number }>();
  for (const r of all) {
    const t = totals.get(r.user) ?? { n: 0, amount: 0, top: 0 };
    t.n++;
    t.amount += r.amount;
    t.top = Math.max(t.top, r.amount);
    totals.set(r.user, t);
  }
  return { records: all, totals };
}
