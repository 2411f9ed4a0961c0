/**
 * The package as an application gets it: `npm pack` makes the tarball, which
 * is unpacked into a fresh application's node_modules beside the package's
 * dependencies (hoisted, as npm lays them out), and the application runs a
 * job of its own workflow module in-process, with threaded workers and with
 * forked workers and masters.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, readJsonLinesDir, tempDir } from './support/files.js';

const run = promisify(execFile);
const ROWS = 3000;

/** The application: a workflow module and a script that runs it in the placement its argument names. */
const WORKFLOW = `
import { FileSink, FileSource, Job, MapOperator, Stage } from 'solstice-node';

export function createJob(jobId, config) {
  const job = new Job({ jobId });
  job.addStage(new Stage('read', FileSource, { paths: config.input }, 1));
  job.addStage(new Stage('triple', MapOperator, { fn: (row) => ({ id: row.id, tripled: row.id * 3 }) }, 2), ['read']);
  job.addStage(new Stage('write', FileSink, { path: config.output, format: 'jsonl' }, 1), ['triple']);
  return job;
}
`;

const MAIN = `
import { fileURLToPath } from 'node:url';
import { createJob } from './workflow.mjs';

const [mode, input, output, state] = process.argv.slice(2);
const placements = {
  'in-process': {},
  threaded: { Worker: { mode: 'threaded' } },
  forked: { Worker: { mode: 'forked' }, StageMaster: { mode: 'forked' }, MetaService: { mode: 'forked' } },
};
const config = { input, output };
const runner = createJob('installed-' + mode, config).createRunner({
  workflowModule: fileURLToPath(new URL('./workflow.mjs', import.meta.url)), config, stateBackend: state, placement: placements[mode],
});
const summary = await runner.run();
console.log(JSON.stringify({ rows: summary.stages.find((stage) => stage.stage === 'write').rowsIn }));
`;

/** A fresh application folder with the packed package unpacked where npm puts it. */
async function installPacked(): Promise<string> {
  const dir = await tempDir('solstice-installed-');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT });
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  const app = join(dir, 'app');
  const installed = join(app, 'node_modules', 'solstice-node');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', join(dir, filename), '-C', installed, '--strip-components', '1']);
  // The package's dependencies, hoisted beside it (the checkout's own, already installed).
  for (const name of await readdir(join(REPO_ROOT, 'node_modules'))) {
    if (name.startsWith('.') || name === 'solstice-node') continue;
    await symlink(join(REPO_ROOT, 'node_modules', name), join(app, 'node_modules', name), 'dir');
  }
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true, dependencies: { 'solstice-node': '*' } }));
  await writeFile(join(app, 'workflow.mjs'), WORKFLOW);
  await writeFile(join(app, 'main.mjs'), MAIN);
  const lines = Array.from({ length: ROWS }, (_, id) => JSON.stringify({ id })).join('\n');
  await writeFile(join(app, 'input.jsonl'), `${lines}\n`);
  return app;
}

const app = installPacked();

for (const mode of ['in-process', 'threaded', 'forked']) {
  test(`installed from the packed tarball, an application runs a job ${mode}`, async (t) => {
    const folder = await app;
    const output = join(folder, `out-${mode}`);
    const { stdout } = await run(process.execPath, ['main.mjs', mode, join(folder, 'input.jsonl'), output, join(folder, `state-${mode}`)], { cwd: folder, timeout: 180_000 });
    t.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), { rows: ROWS });
    const rows = (await readJsonLinesDir(output)).sort((a, b) => (a.id as number) - (b.id as number));
    t.deepEqual(rows, Array.from({ length: ROWS }, (_, id) => ({ id, tripled: id * 3 })));
  });
}

test('the tarball holds what the package runs from: its build, dashboard, workflows and CLI', async (t) => {
  const installed = join(await app, 'node_modules', 'solstice-node');
  const top = await readdir(installed);
  for (const needed of ['dist', 'dashboard', 'workflows', 'package.json', 'README.md']) t.true(top.includes(needed), needed);
  t.true((await readdir(join(installed, 'dist', 'bin'))).includes('solstice-node.js'));
});
