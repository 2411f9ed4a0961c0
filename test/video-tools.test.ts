/**
 * The ffmpeg/ffprobe tools of the video_slice workflow on small generated
 * videos: probing, keyframes, scene cuts, scene merging and cutting scenes
 * out, checked against the layout the videos were generated with and against
 * ffprobe and ffmpeg run directly on the outputs; and how tool runs fail:
 * damaged files, deadlines, aborts, kills and orphans.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { runTool, VideoToolError } from '../workflows/video_slice/ffmpeg-process.js';
import { keyframeTimes, probeVideo } from '../workflows/video_slice/probe.js';
import { detectCuts, mergeScenes } from '../workflows/video_slice/scenes.js';
import { cutScene } from '../workflows/video_slice/slice.js';
import { ffmpegUnavailableReason, makeSceneVideo, truncateFile, type SceneVideoLayout } from './support/videos.js';
import { needing } from './support/requirements.js';

const unavailable = ffmpegUnavailableReason();
const videoTest = needing(unavailable, test);

const run = promisify(execFile);
const FPS = 25;
const FRAME = 1 / FPS;
const TIMEOUT = 60;

interface Fixture {
  dir: string;
  /** red 2 s, testsrc 2 s, blue 0.5 s (13 frames: 0.52 s), green 2 s. */
  video: string;
  layout: SceneVideoLayout;
}

let fixture: Fixture;

test.before(async () => {
  if (unavailable) return;
  const dir = await mkdtemp(join(tmpdir(), 'video-tools-test-'));
  const video = join(dir, 'scenes.mp4');
  const layout = await makeSceneVideo(video, [
    { color: 'red', secs: 2 },
    { pattern: 'testsrc', secs: 2 },
    { color: 'blue', secs: 0.5 },
    { color: 'green', secs: 2 },
  ]);
  fixture = { dir, video, layout };
});

test.after.always(async () => {
  if (fixture) await rm(fixture.dir, { recursive: true, force: true });
});

/** ffprobe's own view of a file: container duration, and the video stream's start, duration and frame count. */
async function ffprobeFacts(file: string): Promise<{ duration: number; videoStart: number; videoDuration: number; videoFrames: number; codecs: string[] }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', file]);
  const json = JSON.parse(stdout) as {
    streams: Array<{ codec_type: string; codec_name: string; start_time: string; duration: string; nb_read_frames: string }>;
    format: { duration: string };
  };
  const video = json.streams.find((s) => s.codec_type === 'video')!;
  return {
    duration: Number(json.format.duration),
    videoStart: Number(video.start_time),
    videoDuration: Number(video.duration),
    videoFrames: Number(video.nb_read_frames),
    codecs: json.streams.map((s) => `${s.codec_type}:${s.codec_name}`),
  };
}

/** The MD5 of every decoded video frame of `file`, in order; fails on any decoding error. */
async function frameHashes(file: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-'], { maxBuffer: 64 << 20 });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.split(',').at(-1)!.trim());
}

function near(actual: number, expected: number, tolerance: number): boolean {
  return Math.abs(actual - expected) <= tolerance;
}

videoTest('probeVideo reads the length, frame size, rate and codec of the generated video', async (t) => {
  const info = await probeVideo(fixture.video, TIMEOUT);
  t.true(near(info.duration, 6.5, 0.05), `duration ${info.duration}`);
  t.true(near(info.duration, fixture.layout.duration, 0.001), `duration ${info.duration}, generated ${fixture.layout.duration}`);
  t.like(info, { width: 160, height: 120, fps: 25, codec: 'h264' });
});

videoTest('keyframeTimes lists the start and the forced keyframe at each cut, and nothing else', async (t) => {
  const keyframes = await keyframeTimes(fixture.video, TIMEOUT);
  const expected = [0, ...fixture.layout.cuts];
  t.is(keyframes.length, expected.length, `keyframes ${keyframes.join(', ')}`);
  expected.forEach((time, i) => t.true(near(keyframes[i]!, time, 0.001), `keyframe ${i} at ${keyframes[i]}, cut at ${time}`));
});

videoTest('detectCuts finds the three hard cuts within a frame', async (t) => {
  const cuts = await detectCuts(fixture.video, 0.3, TIMEOUT);
  t.is(cuts.length, 3, `cuts ${cuts.join(', ')}`);
  [2, 4, 4.5].forEach((time, i) => t.true(near(cuts[i]!, time, FRAME), `cut ${i} at ${cuts[i]}, expected near ${time}`));
  fixture.layout.cuts.forEach((time, i) => t.true(near(cuts[i]!, time, 0.001), `cut ${i} at ${cuts[i]}, generated at ${time}`));
});

videoTest('mergeScenes on the detected cuts merges the short blue scene into the green one after it', async (t) => {
  const info = await probeVideo(fixture.video, TIMEOUT);
  const cuts = await detectCuts(fixture.video, 0.3, TIMEOUT);
  const scenes = mergeScenes(cuts, info.duration, 1);
  t.deepEqual(
    scenes.map((s) => s.index),
    [0, 1, 2],
  );
  t.deepEqual(
    scenes.map((s) => [s.start, s.end]),
    [
      [0, cuts[0]],
      [cuts[0], cuts[1]],
      [cuts[1], info.duration],
    ],
  );
});

videoTest('mergeScenes without cuts gives one scene covering the video', (t) => {
  t.deepEqual(mergeScenes([], 10, 1), [{ index: 0, start: 0, end: 10 }]);
});

videoTest('mergeScenes merges a short first scene into the second', (t) => {
  t.deepEqual(mergeScenes([0.5, 3], 6, 1), [
    { index: 0, start: 0, end: 3 },
    { index: 1, start: 3, end: 6 },
  ]);
});

videoTest('mergeScenes merges a run of short scenes until the merged scene is long enough', (t) => {
  t.deepEqual(mergeScenes([0.3, 0.6, 0.9, 2, 2.2, 2.4], 6, 1), [
    { index: 0, start: 0, end: 2 },
    { index: 1, start: 2, end: 6 },
  ]);
});

videoTest('mergeScenes merges a short last scene into the one before it', (t) => {
  t.deepEqual(mergeScenes([2, 5.5], 6, 1), [
    { index: 0, start: 0, end: 2 },
    { index: 1, start: 2, end: 6 },
  ]);
});

videoTest('mergeScenes ignores cuts at or outside the ends, duplicates and disorder', (t) => {
  t.deepEqual(mergeScenes([7, 2, -1, 0, 6, 2, 4], 6, 1), [
    { index: 0, start: 0, end: 2 },
    { index: 1, start: 2, end: 4 },
    { index: 2, start: 4, end: 6 },
  ]);
});

videoTest('mergeScenes keeps a video shorter than the minimum as one scene', (t) => {
  t.deepEqual(mergeScenes([0.2], 0.5, 1), [{ index: 0, start: 0, end: 0.5 }]);
});

videoTest('mergeScenes rejects a length that is not positive', (t) => {
  t.throws(() => mergeScenes([], 0, 1), { instanceOf: RangeError });
});

videoTest('cutScene copies each merged scene, frame for frame, with its exact length', async (t) => {
  const info = await probeVideo(fixture.video, TIMEOUT);
  const keyframes = await keyframeTimes(fixture.video, TIMEOUT);
  const scenes = mergeScenes(await detectCuts(fixture.video, 0.3, TIMEOUT), info.duration, 1);
  const sourceHashes = await frameHashes(fixture.video);
  for (const scene of scenes) {
    const slice = await cutScene(fixture.video, scene.start, scene.end, keyframes, TIMEOUT, { videoDuration: info.duration });
    t.is(slice.method, 'copy', `scene ${scene.index} starts on a keyframe`);
    const file = join(fixture.dir, `copy-${scene.index}.mp4`);
    await writeFile(file, slice.bytes);
    const facts = await ffprobeFacts(file);
    const length = scene.end - scene.start;
    t.true(near(facts.duration, length, FRAME), `scene ${scene.index}: ${facts.duration} s, expected ${length}`);
    t.true(near(facts.videoDuration, length, FRAME), `scene ${scene.index}: video ${facts.videoDuration} s, expected ${length}`);
    t.true(near(facts.videoStart, 0, 0.001), `scene ${scene.index} starts at ${facts.videoStart}`);
    const first = Math.round(scene.start * FPS);
    const last = Math.round(scene.end * FPS);
    t.deepEqual(await frameHashes(file), sourceHashes.slice(first, last), `scene ${scene.index} holds source frames ${first}..${last - 1}`);
  }
});

videoTest('cutScene re-encodes a scene starting between keyframes, to the frame', async (t) => {
  const keyframes = await keyframeTimes(fixture.video, TIMEOUT);
  const slice = await cutScene(fixture.video, 1, 2, keyframes, TIMEOUT);
  t.is(slice.method, 'encode');
  const file = join(fixture.dir, 'encode-1-2.mp4');
  await writeFile(file, slice.bytes);
  const facts = await ffprobeFacts(file);
  t.true(near(facts.duration, 1, FRAME), `${facts.duration} s`);
  t.is(facts.videoFrames, 25);
  t.deepEqual(facts.codecs, ['video:h264']);
});

videoTest('cutScene re-encodes a scene ending between keyframes, whose last B-frames need the frame after the end', async (t) => {
  const keyframes = await keyframeTimes(fixture.video, TIMEOUT);
  const { cuts, duration } = fixture.layout;
  const midGop = await cutScene(fixture.video, cuts[0]!, cuts[0]! + 1, keyframes, TIMEOUT);
  t.is(midGop.method, 'encode');
  const file = join(fixture.dir, 'encode-mid-gop.mp4');
  await writeFile(file, midGop.bytes);
  t.is((await frameHashes(file)).length, 25);
  // The last scene ends on no keyframe: only knowing it ends the video allows a copy.
  t.is((await cutScene(fixture.video, cuts[2]!, duration, keyframes, TIMEOUT)).method, 'encode');
  t.is((await cutScene(fixture.video, cuts[2]!, duration, keyframes, TIMEOUT, { videoDuration: duration })).method, 'copy');
});

videoTest('cutScene keeps the audio track, copied or re-encoded, and the video length to the frame', async (t) => {
  const video = join(fixture.dir, 'with-audio.mp4');
  const layout = await makeSceneVideo(video, [{ color: 'red', secs: 1 }, { pattern: 'testsrc2', secs: 1 }, { color: 'blue', secs: 1 }], { audio: true });
  const keyframes = await keyframeTimes(video, TIMEOUT);
  for (const [start, end, method] of [[layout.cuts[0]!, layout.cuts[1]!, 'copy'], [0.52, 1.6, 'encode']] as const) {
    const slice = await cutScene(video, start, end, keyframes, TIMEOUT);
    t.is(slice.method, method);
    const file = join(fixture.dir, `audio-${method}.mp4`);
    await writeFile(file, slice.bytes);
    const facts = await ffprobeFacts(file);
    t.deepEqual(facts.codecs, ['video:h264', 'audio:aac']);
    t.true(near(facts.videoDuration, end - start, FRAME), `${method}: video ${facts.videoDuration} s, expected ${end - start}`);
    t.true(near(facts.duration, end - start, FRAME), `${method}: ${facts.duration} s, expected ${end - start}`);
  }
});

/** The fixture's packets remuxed into MPEG-TS: no index to seek with, and a clock starting at 1.4 s or so. */
async function fixtureAsMpegTs(name: string): Promise<string> {
  const ts = join(fixture.dir, name);
  await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', fixture.video, '-c', 'copy', '-f', 'mpegts', '-y', ts]);
  return ts;
}

videoTest('in MPEG-TS, keyframes and cuts count from the start of the file, and scenes cut to the frame', async (t) => {
  const ts = await fixtureAsMpegTs('scenes.ts');
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', ts]);
  t.true(Number(stdout) > 0.5, `the file's clock starts at ${stdout.trim()}`);
  const { cuts } = fixture.layout;
  const keyframes = await keyframeTimes(ts, TIMEOUT);
  t.is(keyframes.length, cuts.length + 1, `keyframes ${keyframes.join(', ')}`);
  [0, ...cuts].forEach((time, i) => t.true(near(keyframes[i]!, time, 0.001), `keyframe ${i} at ${keyframes[i]}, expected ${time}`));
  const detected = await detectCuts(ts, 0.3, TIMEOUT);
  cuts.forEach((time, i) => t.true(near(detected[i]!, time, 0.001), `cut ${i} at ${detected[i]}, expected ${time}`));

  const copied = await cutScene(ts, cuts[0]!, cuts[1]!, keyframes, TIMEOUT);
  t.is(copied.method, 'copy');
  await writeFile(join(fixture.dir, 'ts-copy.mp4'), copied.bytes);
  t.deepEqual(await frameHashes(join(fixture.dir, 'ts-copy.mp4')), (await frameHashes(fixture.video)).slice(50, 100));

  // Seeking the input straight to 1.0 lands on the keyframe at 2.0 here, and ffmpeg writes an empty file.
  const encoded = await cutScene(ts, 1, 2, keyframes, TIMEOUT);
  t.is(encoded.method, 'encode');
  await writeFile(join(fixture.dir, 'ts-encode.mp4'), encoded.bytes);
  const facts = await ffprobeFacts(join(fixture.dir, 'ts-encode.mp4'));
  t.is(facts.videoFrames, 25);
  t.true(near(facts.videoDuration, 1, FRAME), `${facts.videoDuration} s`);
});

videoTest('cutScene rejects a slice of the wrong length, as when the keyframe list does not match the file', async (t) => {
  const ts = await fixtureAsMpegTs('wrong-keyframes.ts');
  const error = await t.throwsAsync(cutScene(ts, 1, 2, [0, 1, 2], TIMEOUT), { instanceOf: VideoToolError });
  t.is(error!.failure, 'badOutput');
  t.is(error!.file, ts);
  t.is(error!.message, `ffmpeg cut no video instead of 1.000 s for [1, 2) of ${ts}`);
});

videoTest('probeVideo rejects a truncated file with a VideoToolError naming the tool and the file', async (t) => {
  const truncated = join(fixture.dir, 'truncated.mp4');
  await truncateFile(fixture.video, truncated, 0.3);
  const error = await t.throwsAsync(probeVideo(truncated, TIMEOUT), { instanceOf: VideoToolError });
  t.is(error!.tool, 'ffprobe');
  t.is(error!.file, truncated);
  t.is(error!.exitCode, 1);
  t.is(error!.failure, 'failed');
  t.true(error!.message.startsWith(`ffprobe failed on ${truncated} (exit 1): `), error!.message);
  t.regex(error!.message, /moov atom not found/);
  t.regex(error!.stderrTail, /moov atom not found/);
});

videoTest('a truncated file with its index at the front fails keyframeTimes and detectCuts, though its header probes', async (t) => {
  const faststart = join(fixture.dir, 'faststart.mp4');
  await writeFile(faststart, (await cutScene(fixture.video, 0, 4, [0, 2, 4], TIMEOUT)).bytes);
  const truncated = join(fixture.dir, 'faststart-truncated.mp4');
  await truncateFile(faststart, truncated, 0.3);
  t.true(near((await probeVideo(truncated, TIMEOUT)).duration, 4, FRAME), 'the header alone still gives the full length');
  const keyframesError = await t.throwsAsync(keyframeTimes(truncated, TIMEOUT), { instanceOf: VideoToolError });
  t.is(keyframesError!.file, truncated);
  t.regex(keyframesError!.message, /partial file/);
  const cutsError = await t.throwsAsync(detectCuts(truncated, 0.3, TIMEOUT), { instanceOf: VideoToolError });
  t.is(cutsError!.tool, 'ffmpeg');
  t.is(cutsError!.file, truncated);
  t.true(cutsError!.message.startsWith(`ffmpeg failed on ${truncated} (exit 1): `), cutsError!.message);
});

/** ffmpeg playing 60 s of test pattern in real time (-re), tagged with `marker` so /proc can find it. */
function slowFfmpegArgs(marker: string): string[] {
  return ['-re', '-f', 'lavfi', '-i', 'testsrc=s=160x120:r=25:d=60', '-metadata', `comment=${marker}`, '-f', 'null', '-'];
}

/** Pids of live (not zombie) ffmpeg processes whose command line holds `marker`. */
async function liveFfmpegPids(marker: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      const state = (await readFile(`/proc/${entry}/stat`, 'utf8')).split(') ').at(-1)!.split(' ')[0];
      if (comm === 'ffmpeg' && cmdline.includes(marker) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Polls until `condition` holds, for at most `secs` seconds; whether it held. */
async function eventually(condition: () => Promise<boolean>, secs: number): Promise<boolean> {
  for (const deadline = Date.now() + secs * 1000; Date.now() < deadline; await sleep(50)) {
    if (await condition()) return true;
  }
  return condition();
}

videoTest('a tool running past its timeoutSecs is killed and rejects with a timeout error', async (t) => {
  const startedAt = Date.now();
  const error = await t.throwsAsync(runTool('ffmpeg', slowFfmpegArgs('timeout-test'), { timeoutSecs: 1, file: 'lavfi testsrc' }), {
    instanceOf: VideoToolError,
  });
  t.is(error!.failure, 'timedOut');
  t.is(error!.exitCode, 137);
  t.is(error!.message, 'ffmpeg timed out on lavfi testsrc after 1 s and was killed');
  t.true(Date.now() - startedAt < 8000, 'killed at its deadline, not when the 60 s of video ended');
});

videoTest('an aborted run kills its tool and rejects with the abort reason as cause', async (t) => {
  const marker = `abort-${process.pid}-${Date.now()}`;
  const controller = new AbortController();
  const running = runTool('ffmpeg', slowFfmpegArgs(marker), { timeoutSecs: 60, file: 'lavfi testsrc', signal: controller.signal });
  t.true(await eventually(async () => (await liveFfmpegPids(marker)).length > 0, 10), 'ffmpeg started');
  const reason = new Error('operator closing');
  controller.abort(reason);
  const error = await t.throwsAsync(running, { instanceOf: VideoToolError });
  t.is(error!.failure, 'aborted');
  t.is(error!.cause, reason);
  t.true(await eventually(async () => (await liveFfmpegPids(marker)).length === 0, 5), 'ffmpeg is gone');
});

videoTest('a tool whose Node process is SIGKILLed still dies at its timeoutSecs', async (t) => {
  const marker = `orphan-${process.pid}-${Date.now()}`;
  const moduleUrl = new URL('../workflows/video_slice/ffmpeg-process.js', import.meta.url).href;
  const script = [
    `import { runTool } from ${JSON.stringify(moduleUrl)};`,
    `runTool('ffmpeg', ${JSON.stringify(slowFfmpegArgs(marker))}, { timeoutSecs: 2, file: 'lavfi testsrc' }).catch(() => {});`,
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  try {
    t.true(await eventually(async () => (await liveFfmpegPids(marker)).length > 0, 10), 'ffmpeg started');
  } finally {
    parent.kill('SIGKILL');
  }
  t.true(await eventually(async () => (await liveFfmpegPids(marker)).length === 0, 10), 'the orphaned ffmpeg died at its deadline');
});
