/**
 * One measured run for bench/checkpoint, in its own process:
 * `node checkpoint-worker.js INTERVAL_SECS INPUT OUTPUT STATE`. INTERVAL_SECS 0
 * takes no interval checkpoints (only the final one that commits the output).
 * Prints one JSON line: rows read, milliseconds, checkpoints taken.
 */
import { CheckpointStore } from '../state/checkpoint-store.js';
import { openStateBackend } from '../state/open-state-backend.js';
import { createJob } from '../workflows/simple_etl/index.js';

const [intervalSecs, input, output, state] = process.argv.slice(2) as [string, string, string, string];
const job = await createJob('bench-checkpoint', {
  input, output, parallelism: 1, checkpointIntervalSecs: Number(intervalSecs), checkpointIntervalRecords: 0,
});
const started = performance.now();
const summary = await job.createRunner({ stateBackend: state, restore: 'none' }).run();
const ms = performance.now() - started;
const checkpoints = await new CheckpointStore(openStateBackend(state), 'bench-checkpoint').highestId();
const rows = summary.stages.find((s) => s.stage === 'source')!.rowsOut;
process.stdout.write(`${JSON.stringify({ intervalSecs: Number(intervalSecs), rows, ms, checkpoints })}\n`);
