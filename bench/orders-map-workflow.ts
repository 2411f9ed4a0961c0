/**
 * simple_etl's job with the total added by a row function that builds a new
 * object per order (`MapOperator`, `{ ...order, total }`) instead of as a
 * computed column (`WithColumnsOperator`): what bench/peers prints beside the
 * orders job, for a user whose transform is a row map. Run with
 * `--workflow dist/bench/orders-map-workflow.js`; config as simple_etl's
 * (input, output, parallelism, minTotal).
 */
import { resolve } from 'node:path';
import { FileSink, FileSource, FilterOperator, Job, MapOperator, OperatorConfigError, Stage } from '../lib/index.js';
import { orderTotal, type PricedOrder } from '../workflows/simple_etl/index.js';
import type { Order } from '../workflows/simple_etl/sample-orders.js';

export interface OrdersMapConfig {
  input?: string | string[];
  output?: string;
  minTotal?: number | string;
  parallelism?: number | string;
}

export function createJob(jobId: string, config: OrdersMapConfig = {}): Job {
  if (config.input === undefined) throw new OperatorConfigError('the orders map workflow needs --input, the orders JSON lines file(s)');
  const minTotal = Number(config.minTotal ?? 100);
  const parallelism = Number(config.parallelism ?? 2);
  const job = new Job({ jobId, checkpointIntervalRecords: 1_000_000 });
  job.addStage(new Stage('source', FileSource, { paths: [config.input].flat().map(String), format: 'jsonl' }, parallelism));
  job.addStage(new Stage('transform', MapOperator<Order, PricedOrder>, { fn: (order) => ({ ...order, total: orderTotal(order) }) }, parallelism), ['source']);
  job.addStage(new Stage('filter', FilterOperator<PricedOrder>, { fn: (order) => order.total > minTotal }, parallelism), ['transform']);
  job.addStage(new Stage('sink', FileSink, { path: config.output ?? resolve('out', jobId), format: 'parquet' }, parallelism), ['filter']);
  return job;
}
