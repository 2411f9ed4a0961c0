/**
 * The user API's types as an application compiles them (strict, against the
 * published declarations): row operators take the row types of their
 * functions, untyped code keeps compiling, wrong code does not; and the
 * runner's status, metrics and stop are promises, as docs/api.md says.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FileSource, FilterOperator, Job, JobStoppedError, MapOperator, PrintSink, Stage } from '../lib/index.js';
import { appFolder, typeCheck } from './support/doc-blocks.js';
import { isolatedState, tempDir } from './support/files.js';

const HEADER = `
import { FilterOperator, FlatMapOperator, Job, KeyByOperator, MapOperator, Operator, Stage, type Row } from 'solstice-node';
interface Order { id: number; price: number; qty: number }
type Priced = Order & { total: number };
declare const job: Job;
`;

/** Code that must compile, each a case of its own. */
const compiles: Record<string, string> = {
  'typed map and filter, with interfaces': `
    job.addStage(new Stage('priced', MapOperator<Order, Priced>, { fn: (o) => ({ ...o, total: o.price * o.qty }) }, 2), ['source']);
    job.addStage(new Stage('big', FilterOperator<Priced>, { fn: (o) => o.total > 100 }), ['priced']);`,
  'typed flat map and key by': `
    job.addStage(new Stage('units', FlatMapOperator<Order, { id: number; unit: number }>, { fn: (o) => Array.from({ length: o.qty }, (_, unit) => ({ id: o.id, unit })) }), ['source']);
    job.addStage(new Stage('byId', KeyByOperator<Order>, { fn: (o) => o.id }), ['source']);`,
  'untyped operators: rows are Row, narrowed before use (code written before the type parameters)': `
    job.addStage(new Stage('priced', MapOperator, { fn: (row) => ({ ...row, total: Number(row.price) * Number(row.qty) }) }), ['source']);
    job.addStage(new Stage('big', FilterOperator, { fn: (row: Row) => (row.total as number) > 100 }), ['priced']);
    job.addStage(new Stage('tables', MapOperator, { batchFn: (table) => table }), ['source']);`,
  "an operator of the user's own, with its config checked": `
    class Scale extends Operator<{ factor: number }> { processSplit() { return null; } }
    job.addStage(new Stage('scale', Scale, { factor: 2 }), ['source']);`,
};

/** Code that must not compile, and the error a user gets. */
const fails: Record<string, { code: string; error: RegExp }> = {
  'a map whose function does not return the declared output row': {
    code: `job.addStage(new Stage('priced', MapOperator<Order, Priced>, { fn: (o) => ({ ...o }) }), ['source']);`,
    error: /Property 'total' is missing/,
  },
  'a filter reading a field its row type does not have': {
    code: `job.addStage(new Stage('big', FilterOperator<Order>, { fn: (o) => o.total > 100 }), ['source']);`,
    error: /TS2339 Property 'total' does not exist on type 'Order'/,
  },
  'an untyped map using a field as a number': {
    code: `job.addStage(new Stage('priced', MapOperator, { fn: (row) => ({ ...row, total: row.price * row.qty }) }), ['source']);`,
    error: /TS18046 'row\.price' is of type 'unknown'/,
  },
  "a config that does not fit the user's operator": {
    code: `class Scale extends Operator<{ factor: number }> { processSplit() { return null; } }
    job.addStage(new Stage('scale', Scale, { factor: 'two' }), ['source']);`,
    error: /TS2322 Type 'string' is not assignable to type 'number'/,
  },
  'a key function returning an object': {
    code: `job.addStage(new Stage('byId', KeyByOperator<Order>, { fn: (o) => ({ id: o.id }) }), ['source']);`,
    error: /TS2322/,
  },
};

const checked = (async () => {
  const app = await appFolder('solstice-types-');
  const files = [
    ...Object.entries(compiles).map(([title, code], i) => ({ name: `compiles_${i}.ts`, text: HEADER + code, title })),
    ...Object.entries(fails).map(([title, { code }], i) => ({ name: `fails_${i}.ts`, text: HEADER + code, title })),
  ];
  return typeCheck(app, files);
})();

Object.keys(compiles).forEach((title, i) => {
  test(`compiles under strict: ${title}`, async (t) => {
    t.deepEqual((await checked).get(`compiles_${i}.ts`), []);
  });
});

Object.entries(fails).forEach(([title, { error }], i) => {
  test(`does not compile: ${title}`, async (t) => {
    const diagnostics = (await checked).get(`fails_${i}.ts`)!;
    t.true(diagnostics.some((d) => error.test(d)), diagnostics.join('\n') || '(no error)');
  });
});

interface Order {
  id: number;
  price: number;
  qty: number;
}

async function ordersJob(jobId: string): Promise<{ job: Job; orders: Order[] }> {
  const dir = await tempDir();
  const orders = Array.from({ length: 50 }, (_, i) => ({ id: i, price: (i * 7) % 40, qty: 1 + (i % 5) }));
  await writeFile(join(dir, 'orders.jsonl'), orders.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const job = new Job({ jobId });
  job.addStage(new Stage('source', FileSource, { paths: join(dir, 'orders.jsonl') }, 1));
  job.addStage(new Stage('priced', MapOperator<Order, Order & { total: number }>, { fn: (o) => ({ ...o, total: o.price * o.qty }) }, 2), ['source']);
  job.addStage(new Stage('big', FilterOperator<Order & { total: number }>, { fn: (o) => o.total > 60 }, 1), ['priced']);
  // PrintSink writes nowhere here: the figures are what the test reads.
  job.addStage(new Stage('print', PrintSink, { stream: new Writable({ write: (_chunk, _encoding, done) => done() }) }, 1), ['big']);
  return { job, orders };
}

test('status(), metrics() and stop() are promises; awaited, status names the runner state and the figures', async (t) => {
  const { job, orders } = await ordersJob('awaited-status');
  const runner = job.createRunner(isolatedState());
  const pending = runner.status();
  t.true(pending instanceof Promise);
  t.is(JSON.stringify(pending), '{}', 'what the old docs led to');
  const before = await pending;
  t.is(before.runner, 'created');
  t.is(before.jobId, 'awaited-status');

  const summary = await runner.run();
  const after = await runner.status();
  t.is(after.runner, 'finished');
  t.true(JSON.stringify(after).includes('"runner":"finished"'));
  const metrics = runner.metrics();
  t.true(metrics instanceof Promise);
  t.deepEqual(await metrics, after.stages);
  const big = orders.filter((o) => o.price * o.qty > 60).length;
  t.is(after.stages.find((s) => s.stage === 'big')!.rowsOut, big);
  t.is(summary.stages.find((s) => s.stage === 'print')!.rowsIn, big);
});

test('stop() before run() makes run() reject with JobStoppedError at once', async (t) => {
  const { job } = await ordersJob('stopped-first');
  const runner = job.createRunner(isolatedState());
  const stopped = runner.stop();
  t.true(stopped instanceof Promise);
  await stopped;
  await t.throwsAsync(runner.run(), { instanceOf: JobStoppedError });
});
