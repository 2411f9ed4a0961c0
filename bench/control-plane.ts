/**
 * bench/control-plane: the per-split cost of the runtime. A no-op pipeline of
 * four stages (a source of one-row splits, two identity maps, a sink that
 * drops) with its workers in-process and forked, in splits/s, fused into one
 * chain (the default) and with every stage on its own; against the
 * limit, measured in the same run: request round trips per second between two
 * Comedy actors of the same transport (in-memory, forked), one at a time.
 * Best of 2 runs each, each run in its own process. Ratio: forked splits/s
 * per forked round trip/s, fused (what a job gets by default).
 *
 * `npm run bench -- control-plane [inProcessSplits=20000] [forkedSplits=5000] [roundTrips=20000]`
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureInOwnProcess } from './measured-process.js';

interface Measurement {
  count: number;
  ms: number;
}

const WORKER = fileURLToPath(new URL('./control-plane-worker.js', import.meta.url));
/** The project's goals, in splits/s. */
const GOALS = { 'in-process': 10_000, forked: 2_000 } as const;

function bestRate(what: 'pipeline' | 'transport', mode: 'in-process' | 'forked', count: number, fusion: 'fused' | 'unfused' = 'fused'): number {
  const rates = [0, 1].map(() => {
    const m = measureInOwnProcess<Measurement>(WORKER, (dir) => [what, mode, String(count), join(dir, 'state'), fusion]);
    return (m.count / m.ms) * 1000;
  });
  return Math.max(...rates);
}

export async function runControlPlaneBenchmark(args: string[]): Promise<number> {
  const inProcessSplits = Number(args[0] ?? 20_000);
  const forkedSplits = Number(args[1] ?? 5_000);
  const roundTrips = Number(args[2] ?? 20_000);
  const transport = { 'in-process': bestRate('transport', 'in-process', roundTrips), forked: bestRate('transport', 'forked', roundTrips) };
  const pipeline = { 'in-process': bestRate('pipeline', 'in-process', inProcessSplits), forked: bestRate('pipeline', 'forked', forkedSplits) };
  const unfused = {
    'in-process': bestRate('pipeline', 'in-process', inProcessSplits, 'unfused'), forked: bestRate('pipeline', 'forked', forkedSplits, 'unfused'),
  };
  const n = (x: number) => Math.round(x).toLocaleString('en');
  console.log(`no-op 4-stage pipeline of one-row splits (${n(inProcessSplits)} in-process, ${n(forkedSplits)} forked), 1 worker per stage; best of 2 runs each`);
  console.log(`transport limit, Comedy request round trips one at a time: in-memory ${n(transport['in-process'])}/s, forked ${n(transport.forked)}/s`);
  for (const mode of ['in-process', 'forked'] as const) {
    console.log(`${mode.padEnd(10)} fused ${n(pipeline[mode])} splits/s (goal >= ${n(GOALS[mode])}), ${(pipeline[mode] / transport[mode]).toFixed(3)} splits per round trip; ` +
      `unfused ${n(unfused[mode])} splits/s, ${(unfused[mode] / transport[mode]).toFixed(3)} per round trip`);
  }
  const ratio = pipeline.forked / transport.forked;
  console.log(`control-plane ratio=${ratio.toFixed(3)}`);
  return ratio;
}
