/**
 * simple_etl: read orders (JSON lines), compute each order's total, keep the
 * orders over a threshold, write them as Parquet.
 *
 * Config (CLI: --key value): input (files, folders or globs, one or a list;
 * `--input` given twice gives a list; default: a generated sample
 * of `rows` orders under data/), rows (default 100000), output (default
 * out/<jobId>), format (parquet | jsonl | csv, default parquet), minTotal
 * (default 100), parallelism (workers of every stage, default 4: the four
 * stages run fused as one chain, each worker reading, pricing, filtering and
 * writing its own splits),
 * checkpointIntervalSecs (default the Job's, 5), checkpointIntervalRecords
 * (default 1000000; 0 turns either off), stateBackend.
 */
import { resolve } from 'node:path';
import { FileSink, FileSource, FilterOperator, Job, Stage, WithColumnsOperator, type FileSinkFormat, type Row } from '../../lib/index.js';
import { ensureSampleOrders, type Order } from './sample-orders.js';

/** An order with its total. */
export type PricedOrder = Order & { total: number };

export interface SimpleEtlConfig {
  input?: string | string[];
  rows?: number | string;
  output?: string;
  format?: FileSinkFormat;
  minTotal?: number | string;
  parallelism?: number | string;
  splitBytes?: number | string;
  checkpointIntervalSecs?: number | string;
  checkpointIntervalRecords?: number | string;
}

/** Total of an order, rounded to cents. */
export function orderTotal(order: Pick<Order, 'price' | 'qty'> | Row): number {
  return Math.round((order.price as number) * (order.qty as number) * 100) / 100;
}

export async function createJob(jobId: string, config: SimpleEtlConfig = {}): Promise<Job> {
  const rows = Number(config.rows ?? 100_000);
  const sample = resolve('data', 'simple_etl', `orders-${rows}.jsonl`);
  if (config.input === undefined) await ensureSampleOrders(sample, rows);
  const inputs = config.input === undefined ? [sample] : [config.input].flat().map(String);
  const minTotal = Number(config.minTotal ?? 100);
  const parallelism = Number(config.parallelism ?? 4);
  const splitBytes = config.splitBytes === undefined ? undefined : Number(config.splitBytes);

  const job = new Job({
    jobId,
    checkpointIntervalSecs: config.checkpointIntervalSecs === undefined ? undefined : Number(config.checkpointIntervalSecs),
    checkpointIntervalRecords: Number(config.checkpointIntervalRecords ?? 1_000_000),
  });
  job.addStage(new Stage('source', FileSource, { paths: inputs, format: 'jsonl', splitBytes }, parallelism));
  job.addStage(new Stage('transform', WithColumnsOperator<Order>, { columns: { total: orderTotal } }, parallelism), ['source']);
  job.addStage(new Stage('filter', FilterOperator<PricedOrder>, { fn: (order) => order.total > minTotal }, parallelism), ['transform']);
  job.addStage(new Stage('sink', FileSink, { path: config.output ?? resolve('out', jobId), format: config.format ?? 'parquet' }, parallelism), ['filter']);
  return job;
}
