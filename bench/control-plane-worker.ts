/**
 * One measured run of bench/control-plane, in its own process:
 * `node control-plane-worker.js pipeline in-process|forked SPLITS STATE fused|unfused` runs
 * the no-op pipeline (workers in-process or each forked), timed from the
 * start of the run, once the workers are up, to its end;
 * `node control-plane-worker.js transport in-process|forked COUNT STATE`
 * measures Comedy round trips. Prints one JSON line: count and milliseconds.
 */
import { fileURLToPath } from 'node:url';
import { comedyRoundTrips } from './comedy-round-trips.js';
import { createJob } from './control-plane-workflow.js';

const [what, mode, count, state, fusion] = process.argv.slice(2) as [string, 'in-process' | 'forked', string, string, string | undefined];
if (what === 'transport') {
  const { roundTrips, ms } = await comedyRoundTrips(mode === 'forked' ? 'forked' : 'in-memory', Number(count));
  process.stdout.write(`${JSON.stringify({ count: roundTrips, ms })}\n`);
} else {
  const workflowModule = fileURLToPath(new URL('./control-plane-workflow.js', import.meta.url));
  const config = { splits: Number(count), chain: fusion !== 'unfused' };
  const runner = createJob('bench-control-plane', config).createRunner({
    workflowModule, config, stateBackend: state, restore: 'none', placement: { Worker: { mode } },
  });
  await runner.initialize();
  const summary = await runner.run();
  const sunk = summary.stages.find((s) => s.stage === 'sink')!.splitsIn;
  if (sunk !== Number(count)) throw new Error(`the sink took ${sunk} splits of ${count}`);
  process.stdout.write(`${JSON.stringify({ count: sunk, ms: summary.wallTimeMs })}\n`);
}
