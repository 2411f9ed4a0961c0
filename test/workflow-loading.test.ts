import test from 'ava';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonLinesDir, REPO_ROOT, sortBy, tempDir } from './support/files.js';
import { runCli } from './support/cli.js';
import { resolveWorkflowPath } from '../lib/index.js';

const TS_WORKFLOW = `
import { FileSink, FileSource, Job, MapOperator, Stage, type Row } from 'solstice-node';

const suffix: string = '!';

export function createJob(jobId: string, config: Record<string, unknown>): Job {
  const job = new Job({ jobId });
  job.addStage(new Stage('read', FileSource, { paths: String(config.input) }, 1));
  job.addStage(new Stage('shout', MapOperator, { fn: (row: Row) => ({ word: String(row.word).toUpperCase() + suffix }) }, 2), ['read']);
  job.addStage(new Stage('write', FileSink, { path: String(config.output), format: 'jsonl' }, 1), ['shout']);
  return job;
}
`;

/** An application folder that depends on solstice-node, with its own workflow in TypeScript. */
async function appWithWorkflow(): Promise<string> {
  const app = await tempDir('solstice-app-');
  await mkdir(join(app, 'node_modules'), { recursive: true });
  await symlink(REPO_ROOT, join(app, 'node_modules', 'solstice-node'), 'dir');
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'some-app', type: 'module', dependencies: { 'solstice-node': '*' } }));
  await mkdir(join(app, 'flows'));
  await writeFile(join(app, 'flows', 'shout.ts'), TS_WORKFLOW);
  await writeFile(join(app, 'words.jsonl'), ['alpha', 'beta', 'gamma'].map((word) => JSON.stringify({ word })).join('\n') + '\n');
  return app;
}

test('an app runs its own TypeScript workflow, named without extension, from its own folder', async (t) => {
  const app = await appWithWorkflow();
  const result = await runCli(['run', '--workflow', 'flows/shout', '--job-id', 'shout', '--input', 'words.jsonl', '--output', 'out'], { cwd: app });
  t.is(result.code, 0, result.stderr);
  t.deepEqual(sortBy(await readJsonLinesDir(join(app, 'out')), (r) => r.word as string), [{ word: 'ALPHA!' }, { word: 'BETA!' }, { word: 'GAMMA!' }]);
});

test('the same workflow by absolute path with its extension', async (t) => {
  const app = await appWithWorkflow();
  const result = await runCli(['run', '--workflow', join(app, 'flows', 'shout.ts'), '--job-id', 'shout', '--input', join(app, 'words.jsonl'), '--output', join(app, 'out2')]);
  t.is(result.code, 0, result.stderr);
  t.is((await readJsonLinesDir(join(app, 'out2'))).length, 3);
});

test('built-in workflows resolve by name and by their source folder', (t) => {
  const compiled = join(REPO_ROOT, 'dist', 'workflows', 'simple_etl', 'index.js');
  t.is(resolveWorkflowPath('simple_etl'), compiled);
  t.is(resolveWorkflowPath('workflows/simple_etl', REPO_ROOT), compiled);
  t.is(resolveWorkflowPath('./workflows/simple_etl/index.ts', REPO_ROOT), compiled);
});
