/**
 * The flights job of bench/peers, a workflow module run through
 * the CLI with `--workflow dist/bench/flights-workflow.js`: read flights (Parquet), keep those delayed more than an
 * hour, add `route = origin-dest`, write them as JSON lines.
 *
 * Config (CLI: --key value): input (files, folders or globs; required),
 * output (default out/<jobId>), minDelay (minutes, default 60), parallelism
 * (workers of every stage, default 2: the four stages run fused as one
 * chain, each worker decoding, filtering and writing its own row ranges), splitBytes,
 * checkpointIntervalSecs (default 300).
 */
import { resolve } from 'node:path';
import { FileSink, FileSource, FilterOperator, Job, OperatorConfigError, Stage, WithColumnsOperator, type Row } from '../lib/index.js';

export interface FlightsDelaysConfig {
  input?: string | string[];
  output?: string;
  minDelay?: number | string;
  parallelism?: number | string;
  splitBytes?: number | string;
  checkpointIntervalSecs?: number | string;
}

/** `ORIGIN-DEST`. */
export function routeOf(flight: Row): string {
  return `${flight.origin as string}-${flight.dest as string}`;
}

export function createJob(jobId: string, config: FlightsDelaysConfig = {}): Job {
  if (config.input === undefined) throw new OperatorConfigError('the flights workflow needs --input, the flights Parquet file(s)');
  const minDelay = Number(config.minDelay ?? 60);
  const parallelism = Number(config.parallelism ?? 2);
  const splitBytes = config.splitBytes === undefined ? undefined : Number(config.splitBytes);

  const job = new Job({ jobId, checkpointIntervalSecs: Number(config.checkpointIntervalSecs ?? 300) });
  job.addStage(new Stage('source', FileSource, { paths: [config.input].flat().map(String), format: 'parquet', splitBytes }, parallelism));
  // Delays are int64 columns, read as bigints: compare with a bigint-safe Number().
  job.addStage(new Stage('delayed', FilterOperator, { fn: (flight: Row) => Number(flight.delay) > minDelay }, parallelism), ['source']);
  job.addStage(new Stage('route', WithColumnsOperator, { columns: { route: routeOf } }, parallelism), ['delayed']);
  job.addStage(new Stage('sink', FileSink, { path: config.output ?? resolve('out', jobId), format: 'jsonl' }, parallelism), ['route']);
  return job;
}
