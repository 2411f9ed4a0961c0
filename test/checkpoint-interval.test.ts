import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSink, FileSource, Job, Stage, type Split } from '../lib/index.js';
import { readJsonLinesDir, tempDir } from './support/files.js';

const RECORDS = 1000;
const PER_SPLIT = 50;
const EVERY = 200;

/** A source that takes a while over each split, as reading a remote file does, so its splits finish one after another. */
class PacedSource extends FileSource {
  override async processSplit(split: Split) {
    await sleep(40);
    return super.processSplit(split);
  }
}

/** `count` JSON lines of one length, so that splits of `PER_SPLIT` lines' bytes hold exactly `PER_SPLIT` records each. */
async function fixedWidthInput(dir: string, count: number): Promise<{ path: string; lineBytes: number }> {
  const lines = Array.from({ length: count }, (_, n) => JSON.stringify({ n, pad: 'x'.repeat(12 - String(n).length) }));
  const path = join(dir, 'numbers.jsonl');
  await writeFile(path, lines.join('\n') + '\n');
  return { path, lineBytes: lines[0]!.length + 1 };
}

interface SourceCheckpoint {
  final: boolean;
  /** Records of the source splits done at the checkpoint. */
  records: number;
  splitsDone: number;
  splitsPlanned: number;
}

/** Runs the paced copy job to its end and returns what each of its checkpoints held, oldest first. */
async function runCopy(dir: string, jobId: string, checkpointIntervalRecords?: number): Promise<SourceCheckpoint[]> {
  const { path, lineBytes } = await fixedWidthInput(dir, RECORDS);
  const state = join(dir, 'state');
  const job = new Job({ jobId, checkpointIntervalRecords, retainCheckpoints: 1000 });
  job.addStage(new Stage('source', PacedSource, { paths: path, splitBytes: PER_SPLIT * lineBytes }, 1));
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'jsonl' }, 1), ['source']);
  const runner = job.createRunner({ stateBackend: state });
  await runner.run();
  const output = (await readJsonLinesDir(join(dir, 'out'))).map((r) => r.n as number).sort((a, b) => a - b);
  if (output.length !== RECORDS || output.some((n, i) => n !== i)) throw new Error(`the copy is not the input: ${output.length} records`);
  const checkpoints: SourceCheckpoint[] = [];
  for (const id of await runner.listCheckpoints()) {
    const manifest = JSON.parse(await readFile(join(state, jobId, 'checkpoints', id.padStart(10, '0'), 'MANIFEST.json'), 'utf8'));
    const source = manifest.stages.source.source as { plan: unknown[]; done: number[] };
    checkpoints.push({ final: manifest.final, records: source.done.length * PER_SPLIT, splitsDone: source.done.length, splitsPlanned: source.plan.length });
  }
  return checkpoints;
}

test(`with checkpointIntervalRecords ${EVERY}, a checkpoint is taken after every ${EVERY} source records`, async (t) => {
  const checkpoints = await runCopy(await tempDir(), 'every-n', EVERY);
  t.true(checkpoints.every((c) => c.splitsPlanned === RECORDS / PER_SPLIT), 'splits hold the records the test planned');
  const whileReading = checkpoints.filter((c) => c.splitsDone < c.splitsPlanned);
  // The checkpoint due after the last split coincides with the end of the input.
  t.is(whileReading.length, Math.ceil(RECORDS / EVERY) - 1, JSON.stringify(checkpoints));
  whileReading.forEach((c, i) => {
    const k = i + 1;
    t.true(c.records >= k * EVERY && c.records < (k + 1) * EVERY, `checkpoint ${k} covers ${c.records} records, at least ${k * EVERY} and fewer than ${(k + 1) * EVERY}`);
  });
  t.true(checkpoints.at(-1)!.final, 'the last checkpoint is final');
});

test('without checkpointIntervalRecords (nor an interval in seconds) the only checkpoints are taken at the end of the input', async (t) => {
  const checkpoints = await runCopy(await tempDir(), 'at-end');
  t.true(checkpoints.length >= 1);
  t.deepEqual(checkpoints.filter((c) => c.splitsDone < c.splitsPlanned), []);
  t.true(checkpoints.at(-1)!.final);
});
