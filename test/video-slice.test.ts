import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from './support/cli.js';
import { readJsonLinesDir, tempDir } from './support/files.js';
import { openLance } from './support/lance-tables.js';
import { ffmpegUnavailableReason, makeSceneVideo, truncateFile } from './support/videos.js';
import { needing } from './support/requirements.js';

const unavailable = ffmpegUnavailableReason();
const videoTest = needing(unavailable, test);

const execFileAsync = promisify(execFile);
const FRAME = 1 / 25;

/** A video's length as ffprobe reads it from a file of `bytes`. */
async function probedSecs(dir: string, bytes: Uint8Array): Promise<number> {
  const file = join(dir, `probe-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.mp4`);
  await writeFile(file, bytes);
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

/** Two videos with hard cuts, and a third cut off mid-file. */
async function videoFolder(dir: string) {
  const videos = join(dir, 'videos');
  await mkdir(videos);
  const colours = await makeSceneVideo(join(videos, 'colours.mp4'), [
    { color: 'red', secs: 2 }, { pattern: 'testsrc', secs: 2 }, { color: 'blue', secs: 0.5 }, { color: 'green', secs: 2 },
  ]);
  const bars = await makeSceneVideo(join(videos, 'bars.mp4'), [{ pattern: 'smptebars', secs: 1.5 }, { color: 'yellow', secs: 1.5 }]);
  await truncateFile(join(videos, 'colours.mp4'), join(videos, 'broken.mp4'), 0.3);
  return { videos, colours, bars };
}

videoTest('video_slice cuts each video into its scenes in a Lance table, and records the unreadable one while the others complete', async (t) => {
  const dir = await tempDir('solstice-video-');
  const { videos, colours, bars } = await videoFolder(dir);
  const output = join(dir, 'out', 'slices.lance');
  const result = await runCli(['run', '--workflow', 'video_slice', '--job-id', 'slices', '--videos', videos, '--output', output, '--progress-interval', '0'], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^warning: 1 record\(s\) failed and went to the errors output 'errors-sink':\n  \{"video":"[^"]*broken\.mp4","scene":-1,.*"error":"ffprobe failed on /m, 'the summary names the video');
  t.regex(result.stderr, /broken\.mp4/, 'the log names the video');

  // The generator's cuts, the 0.52 s blue scene joined to the green one after it (--min-scene-secs 1).
  const expected = new Map([
    [join(videos, 'colours.mp4'), [[0, colours.cuts[0]!], [colours.cuts[0]!, colours.cuts[1]!], [colours.cuts[1]!, colours.duration]]],
    [join(videos, 'bars.mp4'), [[0, bars.cuts[0]!], [bars.cuts[0]!, bars.duration]]],
  ]);
  const rows = (await (await openLance(output)).query().toArray()).sort((a, b) => String(a.video).localeCompare(String(b.video)) || a.scene - b.scene);
  t.deepEqual(rows.map((row) => [row.video, row.scene]), [...expected].flatMap(([video, scenes]) => scenes.map((_, i) => [video, i])).sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1])));
  for (const row of rows) {
    const [start, end] = expected.get(row.video)![row.scene]!;
    const label = `${row.video} scene ${row.scene}`;
    t.true(Math.abs(row.start - start!) <= FRAME && Math.abs(row.end - end!) <= FRAME, `${label}: [${row.start}, ${row.end}) is [${start}, ${end})`);
    t.true(Math.abs(row.duration - (end! - start!)) <= FRAME, label);
    t.is(row.width, 160);
    t.is(row.height, 120);
    t.is(row.fps, 25);
    const bytes = new Uint8Array(row.bytes as ArrayBufferLike);
    t.is(row.size, bytes.byteLength, label);
    t.is(row.sha256, createHash('sha256').update(bytes).digest('hex'), label);
    t.true(Math.abs((await probedSecs(dir, bytes)) - (end! - start!)) <= FRAME + 1e-6, `${label}: the stored slice plays for its scene's length`);
  }
  const errors = await readJsonLinesDir(join(dir, 'out', 'slices-errors'));
  t.is(errors.length, 1);
  t.is(errors[0]!.video, join(videos, 'broken.mp4'));
  t.is(errors[0]!.scene, -1);
  t.regex(String(errors[0]!.error), /ffprobe failed on .*broken\.mp4/);
});

videoTest('video_slice --keep-every 2 --sink file writes every other scene as Parquet; --on-error fail fails the job naming the video', async (t) => {
  const dir = await tempDir('solstice-video-');
  const { videos } = await videoFolder(dir);
  const imported = await runCli(['videos', 'import', videos, join(dir, 'videos.lance')], { cwd: dir });
  t.is(imported.code, 0, imported.stderr);
  t.regex(imported.stdout, /^3 video\(s\) added/);
  t.regex((await runCli(['videos', 'import', videos, join(dir, 'videos.lance')], { cwd: dir })).stdout, /^0 video\(s\) added .* it lists 3/);

  const output = join(dir, 'parquet');
  const result = await runCli([
    'run', '--workflow', 'video_slice', '--job-id', 'every-other', '--source', join(dir, 'videos.lance'), '--output', output,
    '--sink', 'file', '--keep-every', '2', '--errors', join(dir, 'errors'), '--progress-interval', '0',
  ], { cwd: dir });
  t.is(result.code, 0, result.stderr);
  const { readParquetDir } = await import('./support/files.js');
  const stored = await readParquetDir(output);
  t.deepEqual(stored.map((row) => `${String(row.video).split('/').pop()}#${row.scene}`).sort(), ['bars.mp4#0', 'colours.mp4#0', 'colours.mp4#2']);

  const failing = await runCli([
    'run', '--workflow', 'video_slice', '--job-id', 'strict', '--source', join(dir, 'videos.lance'), '--output', join(dir, 'strict.lance'),
    '--on-error', 'fail', '--progress-interval', '0',
  ], { cwd: dir });
  t.is(failing.code, 1);
  t.regex(failing.stderr, /error: OperatorError: .*detect.*\n.*VideoToolError: ffprobe failed on .*broken\.mp4/);
});
