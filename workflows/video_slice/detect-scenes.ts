import { JobStoppedError, Operator, SplitPayload, type Row, type Split } from '../../lib/index.js';
import { VideoToolError } from './ffmpeg-process.js';
import { probeVideo } from './probe.js';
import { detectCuts, mergeScenes } from './scenes.js';

/** What to do with a video ffmpeg cannot read: `record` it in the errors output and go on, or `fail` the job. */
export type OnVideoError = 'record' | 'fail';

export interface DetectScenesConfig {
  /** ffmpeg's scene score (0-1) above which a frame starts a new scene. */
  threshold: number;
  /** Scenes shorter than this join the next one. */
  minSceneSecs: number;
  /** Longest an ffmpeg or ffprobe run may take. */
  timeoutSecs: number;
  onError: OnVideoError;
}

/** A scene of a video, or (with `error`) a video that could not be read. */
export interface SceneRow extends Row {
  video: string;
  scene: number;
  start: number | null;
  end: number | null;
  duration: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  error: string | null;
}

/**
 * Finds each input video's scenes (rows with a `video` path): ffprobe for its
 * size, rate and length, ffmpeg's scene score for its hard cuts, then scenes
 * under `minSceneSecs` merged. One row per scene. A video ffmpeg cannot read
 * becomes one row with `error` (scene -1), logged, or fails the job.
 */
export class DetectScenes extends Operator<DetectScenesConfig> {
  /** Kills this worker's ffmpeg runs when it closes (other workers may share the process). */
  private readonly runs = new AbortController();

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    const out: SceneRow[] = [];
    for (const { video } of payload.toRows() as { video: string }[]) {
      try {
        const info = await probeVideo(video, this.config.timeoutSecs, this.runs.signal);
        const cuts = await detectCuts(video, this.config.threshold, this.config.timeoutSecs, this.runs.signal);
        for (const scene of mergeScenes(cuts, info.duration, this.config.minSceneSecs)) {
          out.push({
            video, scene: scene.index, start: scene.start, end: scene.end, duration: scene.end - scene.start,
            width: info.width, height: info.height, fps: info.fps, error: null,
          });
        }
      } catch (error) {
        out.push(videoFailed(this, video, -1, error));
      }
    }
    return out.length === 0 ? null : SplitPayload.fromRows(out, split.splitId);
  }

  override close(): void {
    this.runs.abort(new JobStoppedError('the worker closed'));
  }
}

/** The row recording that ffmpeg could not read `video` (its scene `scene`), or the error again under `onError: 'fail'`. */
export function videoFailed(operator: Operator<{ onError: OnVideoError }>, video: string, scene: number, error: unknown): SceneRow {
  // A run killed because the worker closed says nothing about the video.
  if (!(error instanceof VideoToolError) || error.failure === 'aborted' || operator.config.onError === 'fail') throw error;
  operator.context.logger.warn({ video, scene, error: error.message }, 'video could not be read; recorded in the errors output');
  return { video, scene, start: null, end: null, duration: null, width: null, height: null, fps: null, error: error.message };
}
