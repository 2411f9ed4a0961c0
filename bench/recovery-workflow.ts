/**
 * The recovery job of bench/recovery, a workflow module run through the
 * CLI with `--workflow dist/bench/recovery-workflow.js`: rows of
 * `{ id, value }` -> a row function that costs `costUs` microseconds of CPU
 * per row -> keep even ids -> JSON lines. Every call of the row function
 * appends one byte to `callsFile`, so the calls of all attempts of a job,
 * killed ones included, can be counted afterwards.
 *
 * Config (CLI: --key value): input (required; JSON lines or Parquet), output,
 * callsFile (required), costUs (default 100), parallelism (default 2),
 * checkpointIntervalSecs (default 1), checkpointIntervalRecords (default
 * 5000), batchRows (FileSource's), maxRestarts (the job's supervision),
 * chain (false: every stage runs on workers of its own, as a stage that
 * cannot be fused would).
 */
import { openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileSink, FileSource, FilterOperator, Job, MapOperator, OperatorConfigError, Stage, type Row } from '../lib/index.js';

export interface RecoveryJobConfig {
  input?: string | string[];
  output?: string;
  callsFile?: string;
  costUs?: number | string;
  parallelism?: number | string;
  checkpointIntervalSecs?: number | string;
  checkpointIntervalRecords?: number | string;
  batchRows?: number | string;
  maxRestarts?: number | string;
  chain?: boolean | string;
}

const ONE_BYTE = new Uint8Array([0x2e]);

export function createJob(jobId: string, config: RecoveryJobConfig = {}): Job {
  if (config.input === undefined || config.callsFile === undefined) {
    throw new OperatorConfigError('the recovery workflow needs --input (JSON lines) and --calls-file (where the map counts its calls)');
  }
  const costMs = Number(config.costUs ?? 100) / 1000;
  const parallelism = Number(config.parallelism ?? 2);
  const callsFile = String(config.callsFile);
  let calls: number | undefined;
  const work = (row: Row): Row => {
    // Opened in each worker's process on first use, for appending.
    calls ??= openSync(callsFile, 'a');
    writeSync(calls, ONE_BYTE);
    const until = performance.now() + costMs;
    while (performance.now() < until);
    return { ...row, score: ((row.value as number) * 31) % 1000 };
  };
  const job = new Job({
    jobId,
    checkpointIntervalSecs: Number(config.checkpointIntervalSecs ?? 1),
    checkpointIntervalRecords: Number(config.checkpointIntervalRecords ?? 5000),
    supervision: config.maxRestarts === undefined ? undefined : { maxRestarts: Number(config.maxRestarts) },
    chain: config.chain === undefined ? undefined : String(config.chain) !== 'false',
  });
  const batchRows = config.batchRows === undefined ? undefined : Number(config.batchRows);
  job.addStage(new Stage('source', FileSource, { paths: [config.input].flat().map(String), batchRows }, parallelism));
  job.addStage(new Stage('work', MapOperator, { fn: work }, parallelism), ['source']);
  job.addStage(new Stage('even', FilterOperator, { fn: (row: Row) => (row.id as number) % 2 === 0 }, parallelism), ['work']);
  job.addStage(new Stage('sink', FileSink, { path: config.output ?? resolve('out', jobId), format: 'jsonl' }, parallelism), ['even']);
  return job;
}
