/**
 * What a user sees when rows reach an aggregation it cannot make: amounts
 * exported as text to sum, or an aggregation with no KeyByOperator before it.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AggregateOperator, ColumnValueError, FileSink, FileSource, Job, KeyByOperator, OperatorError, Stage } from '../lib/index.js';
import { deserializeError, serializeError } from '../lib/errors/index.js';
import { isolatedState, tempDir } from './support/files.js';

/** Orders whose amounts were exported as text, one order per line. */
async function ordersWithTextAmounts(dir: string): Promise<string> {
  const path = join(dir, 'orders.jsonl');
  await writeFile(path, ['{"customer":"ann","amount":"12.50"}', '{"customer":"bob","amount":"3.10"}'].join('\n') + '\n');
  return path;
}

test('summing a column that holds text fails the job with a ColumnValueError naming the column, the row and the value', async (t) => {
  const dir = await tempDir();
  const job = new Job({ jobId: 'sum-text' });
  job.addStage(new Stage('orders', FileSource, { paths: await ordersWithTextAmounts(dir) }, 1));
  job.addStage(new Stage('by-customer', KeyByOperator, { fn: (row) => String(row.customer) }, 1), ['orders']);
  job.addStage(new Stage('totals', AggregateOperator, { aggregations: { total: { op: 'sum', field: 'amount' } } }, 1), ['by-customer']);
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'totals'), format: 'jsonl' }, 1), ['totals']);
  const error = await t.throwsAsync(job.createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  t.is((error as OperatorError).stage, 'totals');
  const cause = error!.cause as ColumnValueError;
  t.true(cause instanceof ColumnValueError, `the cause is a ColumnValueError: ${String(cause)}`);
  t.is(cause.column, 'amount');
  t.is(cause.row, 1);
  t.is(cause.reason, "not a number, which sum 'total' needs");
  t.is(cause.message, `Row 1 ({"customer":"ann","amount":"12.50","_key":"ann"}): column 'amount' holds "12.50", not a number, which sum 'total' needs`);
  t.true(error!.message.startsWith("Stage 'totals' failed on split "), error!.message);
  t.true(error!.message.endsWith(cause.message), 'the job\'s error carries the row, the column and the value');
  const rebuilt = deserializeError(serializeError(error));
  t.true(rebuilt.cause instanceof ColumnValueError, 'another process rebuilds the cause as a ColumnValueError');
  t.like(rebuilt.cause, { column: 'amount', row: 1, reason: cause.reason, message: cause.message });
});

test('an aggregation with no KeyByOperator before it fails with a ColumnValueError on the missing key column', async (t) => {
  const dir = await tempDir();
  const job = new Job({ jobId: 'no-key' });
  job.addStage(new Stage('orders', FileSource, { paths: await ordersWithTextAmounts(dir) }, 1));
  job.addStage(new Stage('counts', AggregateOperator, { aggregations: { n: { op: 'count' } } }, 1), ['orders']);
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'counts'), format: 'jsonl' }, 1), ['counts']);
  const error = await t.throwsAsync(job.createRunner(isolatedState()).run(), { instanceOf: OperatorError });
  const cause = error!.cause as ColumnValueError;
  t.true(cause instanceof ColumnValueError, `the cause is a ColumnValueError: ${String(cause)}`);
  t.is(cause.column, '_key');
  t.is(cause.message, `Row 1 ({"customer":"ann","amount":"12.50"}): column '_key' holds null, not a key (is a KeyByOperator upstream?)`);
});
