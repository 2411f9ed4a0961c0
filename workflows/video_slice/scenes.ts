/**
 * Scene cuts: where ffmpeg's scene score jumps, and the scenes between them.
 */
import { runTool } from './ffmpeg-process.js';

/** One scene of a video, in seconds from its start. */
export interface Scene {
  /** 0 for the first scene, consecutive. */
  index: number;
  start: number;
  end: number;
}

/**
 * Times (seconds from the start of the file, ascending, distinct) of the
 * frames whose scene-change score (0..1, ffmpeg's `scene` in `select`) is
 * above `threshold`. Decodes the whole video stream; rejects with a
 * VideoToolError when ffmpeg fails or meets a decoding error (`-xerror`), so
 * a damaged file does not pass for one with fewer cuts.
 */
export async function detectCuts(path: string, threshold: number, timeoutSecs: number, signal?: AbortSignal): Promise<number[]> {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`threshold must be between 0 and 1, not ${threshold}`);
  const { stderr } = await runTool(
    'ffmpeg',
    ['-xerror', '-i', path, '-map', '0:v:0', '-an', '-sn', '-dn', '-vf', `select='gt(scene,${threshold})',showinfo`, '-f', 'null', '-'],
    { timeoutSecs, file: path, signal },
  );
  return parseShowinfoTimes(stderr);
}

/** The `pts_time:` of every frame line showinfo logged, ascending and distinct. */
function parseShowinfoTimes(stderr: string): number[] {
  const times = new Set<number>();
  for (const line of stderr.split('\n')) {
    // Frame lines look like "[Parsed_showinfo_1 @ 0x...] n:   0 pts:  25600 pts_time:2  duration:...".
    if (!line.includes('Parsed_showinfo') || !/\bn:\s*\d+/.test(line)) continue;
    const match = /\bpts_time:\s*(-?[0-9.]+(?:e[-+]?\d+)?)/i.exec(line);
    if (match) times.add(Number(match[1]));
  }
  return [...times].sort((a, b) => a - b);
}

/**
 * The scenes of a video `duration` seconds long cut at `cuts`: boundaries at
 * 0, at each cut strictly inside (0, duration) and at `duration`. A scene
 * shorter than `minSceneSecs` joins the scene after it (repeatedly, until the
 * joined scene is long enough); a short last scene joins the one before it.
 * Always returns at least one scene, and the scenes tile [0, duration].
 */
export function mergeScenes(cuts: number[], duration: number, minSceneSecs: number): Scene[] {
  if (!(Number.isFinite(duration) && duration > 0)) throw new RangeError(`duration must be a positive number of seconds, not ${duration}`);
  if (!(minSceneSecs >= 0)) throw new RangeError(`minSceneSecs must be 0 or more, not ${minSceneSecs}`);
  const inner = [...new Set(cuts.filter((cut) => cut > 0 && cut < duration))].sort((a, b) => a - b);
  const boundaries = [...inner, duration];
  // Cut times are float seconds: a 1.9999999999 s scene is as long as a 2 s minimum.
  const longEnough = (start: number, end: number): boolean => end - start >= minSceneSecs - 1e-9;

  const spans: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (const end of boundaries) {
    if (longEnough(start, end) || end === duration) {
      spans.push({ start, end });
      start = end;
    }
  }
  const last = spans[spans.length - 1]!;
  if (spans.length > 1 && !longEnough(last.start, last.end)) {
    spans.pop();
    spans[spans.length - 1]!.end = last.end;
  }
  return spans.map((span, index) => ({ index, start: span.start, end: span.end }));
}
