/**
 * Tiny generated videos for the video_slice tests: H.264 MP4s of solid
 * colours and test patterns with hard cuts between them.
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { runTool } from '../../workflows/video_slice/ffmpeg-process.js';

/** One stretch of a generated video. */
export interface SceneSpec {
  /** A solid colour (ffmpeg's colour names: red, blue...), when `pattern` is not given; red by default. */
  color?: string;
  /** An ffmpeg test pattern instead of a colour. */
  pattern?: 'testsrc' | 'testsrc2' | 'smptebars';
  /** Length in seconds, rounded to whole frames. */
  secs: number;
}

/** Options of {@link makeSceneVideo}. */
export interface SceneVideoOptions {
  /** Frames per second, 25 by default. */
  fps?: number;
  /** 160 by default. */
  width?: number;
  /** 120 by default. */
  height?: number;
  /** Frames between keyframes away from the cuts, 250 by default. */
  keyint?: number;
  /** Adds a 440 Hz AAC track as long as the video. */
  audio?: boolean;
}

/** Where the cuts of a generated video really are, frames being whole. */
export interface SceneVideoLayout {
  /** Start time (seconds) of every scene after the first: all keyframes. */
  cuts: number[];
  /** Total length in seconds. */
  duration: number;
  /** Frames in each scene. */
  frames: number[];
}

/**
 * Writes an H.264 MP4 to `path` playing `scenes` one after the other with
 * hard cuts, a keyframe at each cut (`-force_key_frames`) and otherwise one
 * every `keyint` frames (x264's own scene-cut keyframes off). Each scene lasts
 * `round(secs * fps)` frames (at least 1): 0.5 s at 25 fps is 13 frames, 0.52 s.
 * x264's default B-frames stay on, as in most real videos. The index (moov)
 * is at the end, as ffmpeg writes it by default, so a truncated copy has none.
 */
export async function makeSceneVideo(path: string, scenes: SceneSpec[], opts: SceneVideoOptions = {}): Promise<SceneVideoLayout> {
  if (scenes.length === 0) throw new RangeError('makeSceneVideo needs at least one scene');
  const { fps = 25, width = 160, height = 120, keyint = 250, audio = false } = opts;
  const frames = scenes.map((scene) => Math.max(1, Math.round(scene.secs * fps)));
  const size = `${width}x${height}`;

  const sources = scenes.map((scene, i) => {
    // The source runs one frame longer than needed; trim cuts it to the exact frame count.
    const common = `s=${size}:r=${fps}:d=${(frames[i]! + 1) / fps}`;
    const source = scene.pattern ? `${scene.pattern}=${common}` : `color=c=${scene.color ?? 'red'}:${common}`;
    return `${source},trim=end_frame=${frames[i]},setpts=PTS-STARTPTS[s${i}]`;
  });
  const inputs = scenes.map((_, i) => `[s${i}]`).join('');
  const total = frames.reduce((sum, n) => sum + n, 0);
  const duration = total / fps;
  const graph = [...sources, `${inputs}concat=n=${scenes.length}:v=1:a=0,format=yuv420p[v]`];
  if (audio) graph.push(`sine=f=440:r=48000:d=${duration}[a]`);

  const cuts: number[] = [];
  let elapsed = 0;
  for (const n of frames.slice(0, -1)) {
    elapsed += n;
    cuts.push(elapsed / fps);
  }

  const args = [
    '-v', 'error',
    '-filter_complex', graph.join(';'),
    '-map', '[v]',
    ...(audio ? ['-map', '[a]', '-c:a', 'aac', '-shortest'] : []),
    '-c:v', 'libx264', '-preset', 'veryfast',
    '-g', String(keyint), '-sc_threshold', '0',
    ...(cuts.length > 0 ? ['-force_key_frames', cuts.map((t) => t.toFixed(6)).join(',')] : []),
    '-y', path,
  ];
  await runTool('ffmpeg', args, { timeoutSecs: 60, file: path });
  return { cuts, duration, frames };
}

/** Writes to `dest` the first `keepFraction` (0..1) of the bytes of `src`: a file cut off mid-download. */
export async function truncateFile(src: string, dest: string, keepFraction: number): Promise<void> {
  if (!(keepFraction >= 0 && keepFraction <= 1)) throw new RangeError(`keepFraction must be between 0 and 1, not ${keepFraction}`);
  const bytes = await readFile(src);
  await writeFile(dest, bytes.subarray(0, Math.floor(bytes.length * keepFraction)));
}

/** Why the video tests cannot run here (ffmpeg or ffprobe missing), or undefined if they can. */
export function ffmpegUnavailableReason(): string | undefined {
  const missing = ['ffmpeg', 'ffprobe', 'timeout'].filter((command) => spawnSync(command, ['-version']).error !== undefined);
  return missing.length > 0 ? `${missing.join(', ')} not on PATH (apt-get install --no-install-recommends ffmpeg)` : undefined;
}
