import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError, createJobFromWorkflow } from '../lib/index.js';
import { runCli } from './support/cli.js';
import { PACKAGE_ENTRY_URL, tempDir } from './support/files.js';

/** A workflow declaring three options; createJob writes the config it got beside its output, so the test sees what arrived. */
async function declaringWorkflow(dir: string): Promise<string> {
  const path = join(dir, 'declaring.mjs');
  await writeFile(path, `
import { writeFileSync } from 'node:fs';
import { FileSink, FileSource, Job, Stage } from '${PACKAGE_ENTRY_URL}';
export const options = {
  limit: { type: 'number', integer: true, min: 1, default: 10, describe: 'How many rows to keep' },
  mode: { type: 'string', choices: ['fast', 'careful'], default: 'careful', describe: 'How to go about it' },
  label: { type: 'string', describe: 'A label for the output' },
};
export function createJob(jobId, config) {
  writeFileSync('config.json', JSON.stringify(config));
  const job = new Job({ jobId });
  job.addStage(new Stage('source', FileSource, { paths: 'in.jsonl' }, 1));
  job.addStage(new Stage('sink', FileSink, { path: 'out', format: 'jsonl' }, 1), ['source']);
  return job;
}
`);
  await writeFile(join(dir, 'in.jsonl'), '{"id":1}\n');
  return path;
}

test('run --help with --workflow lists the options the workflow declares, with their descriptions and defaults', async (t) => {
  const dir = await tempDir();
  await declaringWorkflow(dir);
  const help = await runCli(['run', '--workflow', './declaring.mjs', '--help'], { cwd: dir });
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /Options of workflow declaring:/);
  t.regex(help.stdout, /--limit\s+How many rows to keep \[number\]\s+\[default: 10\]/);
  t.regex(help.stdout, /--mode\s+How to go about it\s+\[string\] \[choices: "fast", "careful"\] \[default: "careful"\]/);

  const builtIn = await runCli(['run', '--workflow', 'simple_etl', '--help'], { cwd: dir });
  t.regex(builtIn.stdout, /Options of workflow simple_etl:[\s\S]*--min-total\s+Orders whose total/);
});

test('a declared workflow gets its defaults and typed values; an undeclared flag is refused with the one meant, a bad value names what is allowed', async (t) => {
  const dir = await tempDir();
  await declaringWorkflow(dir);
  const base = ['run', '--workflow', './declaring.mjs', '--progress-interval', '0'];

  const ran = await runCli([...base, '--job-id', 'ok', '--limit', '3'], { cwd: dir });
  t.is(ran.code, 0, ran.stderr);
  t.deepEqual(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), { limit: 3, mode: 'careful' });

  const typo = await runCli([...base, '--job-id', 'typo', '--wokers', 'forked'], { cwd: dir });
  t.is(typo.code, 1);
  t.regex(typo.stderr, /Unknown option --wokers \(did you mean --workers\?\): workflow declaring takes --limit, --mode, --label besides the command's own options/);
  const near = await runCli([...base, '--job-id', 'near', '--limt', '3'], { cwd: dir });
  t.regex(near.stderr, /Unknown option --limt \(did you mean --limit\?\)/);

  const notNumber = await runCli([...base, '--job-id', 'nan', '--limit', 'many'], { cwd: dir });
  t.is(notNumber.code, 1);
  t.regex(notNumber.stderr, /ArgumentError: workflow declaring: limit must be a number, got "many"/);
  const fraction = await runCli([...base, '--job-id', 'half', '--limit', '2.5'], { cwd: dir });
  t.regex(fraction.stderr, /limit must be a whole number, got 2\.5/);
  const choice = await runCli([...base, '--job-id', 'choice', '--mode', 'reckless'], { cwd: dir });
  t.regex(choice.stderr, /Argument: mode, Given: "reckless", Choices: "fast", "careful"/);
});

test('createJobFromWorkflow checks a declared config too: unknown keys with a did-you-mean, wrong types named', async (t) => {
  const dir = await tempDir();
  const path = await declaringWorkflow(dir);
  await t.throwsAsync(createJobFromWorkflow(path, 'api', { limti: 3 }), {
    instanceOf: ArgumentError,
    message: "workflow declaring: unknown option 'limti' (did you mean 'limit'?); the options are limit, mode, label",
  });
  await t.throwsAsync(createJobFromWorkflow(path, 'api', { limit: '3' }), { instanceOf: ArgumentError, message: 'workflow declaring: limit must be a number, got "3"' });
  await t.throwsAsync(createJobFromWorkflow(path, 'api', { limit: 0 }), { instanceOf: ArgumentError, message: 'workflow declaring: limit must be a number of at least 1, got 0' });
});
