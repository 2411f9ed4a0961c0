/**
 * InputFormatError names the file, the line and the offending record's text
 * (docs/api.md, Errors), for each input format, also when the reading worker
 * runs in another thread.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJobFromWorkflow, InputFormatError, JobRunner, OperatorError } from '../lib/index.js';
import { isolatedState, tempDir } from './support/files.js';

const COPY_WORKFLOW = fileURLToPath(new URL('./fixtures/copy_workflow.js', import.meta.url));

/** Runs the copy workflow over `text` written to `name`, and returns the InputFormatError it fails with (directly or as an OperatorError's cause). */
async function readError(t: import('ava').ExecutionContext, name: string, text: string | Buffer, extra: Record<string, unknown> = {}) {
  const dir = await tempDir();
  const input = join(dir, name);
  await writeFile(input, text);
  const config = { input, output: join(dir, 'out'), ...extra };
  const job = await createJobFromWorkflow(COPY_WORKFLOW, `bad-${name.replace(/\W/g, '-')}`, config);
  const threaded = extra.threaded === true;
  const runner = new JobRunner(job, {
    ...isolatedState(), workflowModule: COPY_WORKFLOW, config, ...(threaded ? { placement: { Worker: { mode: 'threaded' as const } } } : {}),
  });
  // A file that cannot even be planned (a CSV header, a Parquet footer) fails before any split runs.
  const error = await t.throwsAsync(runner.run());
  const cause = error instanceof OperatorError ? error.cause : error;
  t.true(cause instanceof InputFormatError, String(cause));
  t.is((cause as InputFormatError).file, input);
  return cause as InputFormatError;
}

const jsonLines = (count: number) => Array.from({ length: count }, (_, i) => JSON.stringify({ id: i }));

test('a malformed JSON line, in a later byte range of the file: its line number and its text', async (t) => {
  const lines = jsonLines(200);
  lines[150] = '{"id": 150, "broken": ';
  const error = await readError(t, 'orders.jsonl', lines.join('\n') + '\n', { splitBytes: 300 });
  t.is(error.line, 151);
  t.is(error.record, '{"id": 150, "broken": ');
  t.regex(error.reason, /^malformed JSON: /);
});

test('a JSON line that is not an object, read by a worker thread: the record crosses the thread boundary', async (t) => {
  const lines = jsonLines(5);
  lines[3] = '[3, "three"]';
  const error = await readError(t, 'arrays.jsonl', lines.join('\n') + '\n', { threaded: true });
  t.is(error.line, 4);
  t.is(error.record, '[3, "three"]');
  t.is(error.reason, 'expected a JSON object, got [3,"three"]');
});

test('a record longer than 200 characters is cut to 200 and marked', async (t) => {
  const long = `{"id": 1, "text": "${'x'.repeat(500)}"`;
  const error = await readError(t, 'long.jsonl', `{"id": 0}\n${long}\n`);
  t.is(error.line, 2);
  t.is(error.record, `${long.slice(0, 200)}...`);
});

test('a CSV row with the wrong number of fields: its line and text', async (t) => {
  const error = await readError(t, 'rows.csv', 'id,name\n1,a\n2,b\n3,c,extra\n4,d\n');
  t.is(error.line, 4);
  t.is(error.record, '3,c,extra');
  t.is(error.reason, 'expected 2 fields (id, name), got 3');
});

test('a CSV value of the wrong type after the rows types are inferred from, in a later byte range: its line and text', async (t) => {
  const lines = ['id,price', ...Array.from({ length: 1200 }, (_, i) => `${i},${i}.5`), '1200,cheap', '1201,3.5'];
  const error = await readError(t, 'typed.csv', lines.join('\r\n') + '\r\n', { splitBytes: 2000 });
  t.is(error.line, 1202);
  t.is(error.record, '1200,cheap', 'without the carriage return');
  t.regex(error.reason, /column 'price' expects number, got "cheap"/);
});

test('a CSV header naming a column twice: line 1 and the header', async (t) => {
  const error = await readError(t, 'twice.csv', 'id,name,id\n1,a,2\n');
  t.is(error.line, 1);
  t.is(error.record, 'id,name,id');
});

test('a CSV quote that is never closed: the line where it opens and its text', async (t) => {
  const error = await readError(t, 'quote.csv', 'id,name\n1,a\n2,"b\n3,c\n');
  t.is(error.line, 3);
  t.is(error.record, '2,"b');
  t.regex(error.reason, /Quote Not Closed/);
});

test('a CSV row with the wrong number of fields before a quote that is never closed, both past the rows types are inferred from: the first problem is the one named', async (t) => {
  const lines = ['id,name', ...Array.from({ length: 1100 }, (_, i) => `${i},n${i}`)];
  lines[1051] = '1050';
  lines[1081] = '1080,"unclosed';
  const error = await readError(t, 'first.csv', lines.join('\n') + '\n');
  t.is(error.line, 1052);
  t.is(error.record, '1050');
  t.is(error.reason, 'expected 2 fields (id, name), got 1');
  t.is(error.cause, undefined, 'a record the layout refuses has no underlying error');
});

test('a Parquet file that cannot be read has no line and no record', async (t) => {
  const error = await readError(t, 'broken.parquet', Buffer.from('PAR1 this is not parquet PAR1'));
  t.is(error.line, undefined);
  t.is(error.record, undefined);
  t.regex(error.reason, /^not a readable Parquet file/);
});
