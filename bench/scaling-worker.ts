/**
 * One measured run of bench/scaling, in its own process:
 * `node scaling-worker.js WORKERS INPUT OUTPUT STATE`. The digest stage's
 * workers are forked. Prints one JSON line: workers, rows, job milliseconds
 * (from the start of the run, after the workers are up, to its end).
 */
import { fileURLToPath } from 'node:url';
import { createJob } from './cpu-workflow.js';

const [workers, input, output, state] = process.argv.slice(2) as [string, string, string, string];
const workflowModule = fileURLToPath(new URL('./cpu-workflow.js', import.meta.url));
const config = { input, output, workers: Number(workers) };
const runner = createJob('bench-scaling', config).createRunner({
  workflowModule, config, stateBackend: state, restore: 'none', placement: { stages: { digest: { Worker: { mode: 'forked' } } } },
});
await runner.initialize();
const summary = await runner.run();
const rows = summary.stages.find((s) => s.stage === 'digest')!.rowsOut;
process.stdout.write(`${JSON.stringify({ workers: Number(workers), rows, ms: summary.wallTimeMs })}\n`);
