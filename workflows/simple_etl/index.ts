/**
 * simple_etl: read orders (JSON lines), compute each order's total, keep the
 * orders over a threshold, write them as Parquet. Without --input it reads a
 * generated sample of --rows orders under data/. Its four stages run fused
 * as one chain: each worker reads, prices, filters and writes its own splits.
 * The options are declared in `options` below (`run --workflow simple_etl --help`).
 */
import { resolve } from 'node:path';
import { checkWorkflowConfig, FileSink, FileSource, FilterOperator, Job, Stage, WithColumnsOperator, type Row, type WorkflowConfig, type WorkflowOptions } from '../../lib/index.js';
import { ensureSampleOrders, type Order } from './sample-orders.js';

/** An order with its total. */
export type PricedOrder = Order & { total: number };

/** What `solstice-node run --workflow simple_etl` takes besides its own options, and `createJob`'s config. */
export const options = {
  input: { type: 'string', multiple: true, describe: 'Orders to read (JSON lines): files, folders or globs; given twice, both. Default: a generated sample of --rows orders under data/' },
  rows: { type: 'number', integer: true, min: 1, default: 100_000, describe: 'Orders in the generated sample' },
  output: { type: 'string', describe: 'Where the orders over --min-total go. Default: out/<job id>' },
  format: { type: 'string', choices: ['parquet', 'jsonl', 'csv'], default: 'parquet', describe: 'The output files\' format' },
  minTotal: { type: 'number', default: 100, describe: 'Orders whose total (price x qty) is at most this are left out' },
  parallelism: { type: 'number', integer: true, min: 1, default: 4, describe: 'Workers of every stage' },
  splitBytes: { type: 'number', min: 1, describe: 'Target bytes per split of the input (default FileSource\'s, 16 MiB)' },
  checkpointIntervalSecs: { type: 'number', min: 0, describe: 'Seconds between checkpoints (default the Job\'s, 5; 0 turns time-based checkpoints off)' },
  checkpointIntervalRecords: { type: 'number', integer: true, min: 0, default: 1_000_000, describe: 'Source records between checkpoints (0 turns record-based checkpoints off)' },
} as const satisfies WorkflowOptions;

/** simple_etl's config as `createJob` takes it: every option optional. */
export type SimpleEtlConfig = Partial<WorkflowConfig<typeof options>>;

/** Total of an order, rounded to cents. */
export function orderTotal(order: Pick<Order, 'price' | 'qty'> | Row): number {
  return Math.round((order.price as number) * (order.qty as number) * 100) / 100;
}

export async function createJob(jobId: string, given: SimpleEtlConfig = {}): Promise<Job> {
  const config = checkWorkflowConfig(options, given, 'simple_etl');
  const sample = resolve('data', 'simple_etl', `orders-${config.rows}.jsonl`);
  if (config.input === undefined) await ensureSampleOrders(sample, config.rows);
  const inputs = config.input === undefined ? [sample] : [config.input].flat();
  const { minTotal, parallelism } = config;

  const job = new Job({
    jobId,
    checkpointIntervalSecs: config.checkpointIntervalSecs,
    checkpointIntervalRecords: config.checkpointIntervalRecords,
  });
  job.addStage(new Stage('source', FileSource, { paths: inputs, format: 'jsonl', splitBytes: config.splitBytes }, parallelism));
  job.addStage(new Stage('transform', WithColumnsOperator<Order>, { columns: { total: orderTotal } }, parallelism), ['source']);
  job.addStage(new Stage('filter', FilterOperator<PricedOrder>, { fn: (order) => order.total > minTotal }, parallelism), ['transform']);
  job.addStage(new Stage('sink', FileSink, { path: config.output ?? resolve('out', jobId), format: config.format }, parallelism), ['filter']);
  return job;
}
