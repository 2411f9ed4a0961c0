/**
 * Cuts one scene out of a video into MP4 bytes: a stream copy when the scene
 * lies between keyframes, a libx264 re-encode otherwise.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, VideoToolError } from './ffmpeg-process.js';
import { parseFrameRate } from './probe.js';

/** A cut scene. */
export interface SceneSlice {
  /** A complete MP4 file (index at the front). */
  bytes: Buffer;
  /** `copy`: packets copied as they are; `encode`: re-encoded with libx264 (and AAC audio). */
  method: 'copy' | 'encode';
}

/** Extra options of {@link cutScene}. */
export interface CutSceneOptions {
  /**
   * The video's length (probeVideo's duration). A scene ending there
   * needs no keyframe at its end to be copied; without it, only scenes ending
   * on a keyframe are.
   */
  videoDuration?: number;
  signal?: AbortSignal;
}

/** How close (seconds) a scene boundary must be to a keyframe to count as on it. */
const KEYFRAME_TOLERANCE_SECS = 0.001;

/**
 * The seconds [start, end) of the video at `path` as MP4 bytes, the first
 * video stream and every audio stream.
 *
 * Copies the packets when `start` is on a keyframe (or 0) and `end` is on a
 * keyframe or at `options.videoDuration`; otherwise re-encodes (libx264
 * `veryfast`, AAC), which is exact to the frame wherever it starts. A copy
 * that ends mid-GOP would drop frames that earlier B-frames refer to, hence
 * the keyframe at the end too. `keyframes` are keyframeTimes's.
 *
 * Checks the slice's video length (ffprobe) against end - start, within one
 * frame. Rejects with a VideoToolError when ffmpeg fails, meets a decoding
 * error, or cuts a slice of the wrong length (ffmpeg exits 0 with an empty
 * file when its seek in a stream without an index lands past `end`).
 * `timeoutSecs` bounds each of the two tool runs (ffmpeg, then ffprobe).
 */
export async function cutScene(
  path: string,
  start: number,
  end: number,
  keyframes: number[],
  timeoutSecs: number,
  options: CutSceneOptions = {},
): Promise<SceneSlice> {
  if (!(start >= 0 && end > start)) throw new RangeError(`a scene needs 0 <= start < end, not [${start}, ${end})`);
  const onKeyframe = (time: number): boolean => keyframes.some((keyframe) => Math.abs(keyframe - time) <= KEYFRAME_TOLERANCE_SECS);
  const endsVideo = options.videoDuration !== undefined && end >= options.videoDuration - KEYFRAME_TOLERANCE_SECS;
  const method = (start <= KEYFRAME_TOLERANCE_SECS || onKeyframe(start)) && (endsVideo || onKeyframe(end)) ? 'copy' : 'encode';
  const runOptions = { timeoutSecs, file: path, ...(options.signal ? { signal: options.signal } : {}) };

  const dir = await mkdtemp(join(tmpdir(), 'video-slice-'));
  try {
    const output = join(dir, 'scene.mp4');
    const args =
      method === 'copy' ? copyArgs(path, start, end, output) : encodeArgs(path, keyframeAtOrBefore(keyframes, start), start, end, output);
    await runTool('ffmpeg', args, runOptions);
    await checkSliceLength(output, path, start, end, runOptions);
    return { bytes: await readFile(output), method };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function copyArgs(path: string, start: number, end: number, output: string): string[] {
  const duration = end - start;
  return [
    '-v', 'error', '-xerror',
    '-ss', seconds(start), '-i', path, '-t', seconds(duration),
    '-map', '0:v:0', '-map', '0:a?', '-c', 'copy',
    // ffmpeg stops a copied stream by decode time, which trails presentation time by the B-frame delay:
    // without this it keeps the next keyframe and the frames decoded before it, 2 frames too many with x264's defaults.
    '-bsf:v', `noise=drop='gte(pts*tb,${seconds(duration - KEYFRAME_TOLERANCE_SECS)})'`,
    // No -avoid_negative_ts make_zero: the MP4 muxer shifts the B-frame delay into an edit list, so the
    // slice starts at 0; make_zero would start its video at 0.08 s and stretch the container's duration.
    '-movflags', '+faststart',
    '-y', output,
  ];
}

function encodeArgs(path: string, keyframe: number, start: number, end: number, output: string): string[] {
  return [
    '-v', 'error', '-xerror',
    // Seek the input to a keyframe, then decode and drop up to `start` (output -ss). Seeking the input to `start`
    // itself overshoots in MPEG-TS, which has no index: ffmpeg then lands on a later keyframe and writes an empty file.
    '-ss', seconds(keyframe), '-i', path,
    '-ss', seconds(start - keyframe), '-t', seconds(end - start),
    '-map', '0:v:0', '-map', '0:a?',
    '-c:v', 'libx264', '-preset', 'veryfast',
    '-c:a', 'aac',
    '-movflags', '+faststart',
    '-y', output,
  ];
}

/** The last keyframe at or before `time` (within the tolerance), else 0. */
function keyframeAtOrBefore(keyframes: number[], time: number): number {
  let best = 0;
  for (const keyframe of keyframes) {
    if (keyframe <= time + KEYFRAME_TOLERANCE_SECS && keyframe > best) best = keyframe;
  }
  return Math.min(best, time);
}

/** Rejects unless the slice has a video stream lasting end - start, within one of its frames. */
async function checkSliceLength(
  output: string,
  path: string,
  start: number,
  end: number,
  runOptions: { timeoutSecs: number; file: string; signal?: AbortSignal },
): Promise<void> {
  const { stdout } = await runTool(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=duration,avg_frame_rate,r_frame_rate', '-of', 'json', output],
    runOptions,
  );
  const stream = (JSON.parse(stdout.toString('utf8')) as { streams?: Array<Record<string, string | undefined>> }).streams?.[0];
  const expected = end - start;
  const length = Number(stream?.duration);
  const fps = [stream?.avg_frame_rate, stream?.r_frame_rate].map(parseFrameRate).find((rate) => rate > 0);
  const tolerance = (fps === undefined ? 0 : 1 / fps) + KEYFRAME_TOLERANCE_SECS;
  if (!(Math.abs(length - expected) <= tolerance)) {
    const got = stream === undefined ? 'no video' : `${stream.duration} s of video`;
    throw new VideoToolError({
      tool: 'ffmpeg',
      file: path,
      exitCode: 0,
      stderrTail: '',
      failure: 'badOutput',
      message: `ffmpeg cut ${got} instead of ${expected.toFixed(3)} s for [${start}, ${end}) of ${path}`,
    });
  }
}

/** Seconds as ffmpeg reads them, without exponent notation. */
function seconds(value: number): string {
  return value.toFixed(6);
}
