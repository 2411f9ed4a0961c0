import { JobStoppedError, Operator, SplitPayload, type Split } from '../../lib/index.js';
import { keyframeTimes } from './probe.js';
import { cutScene } from './slice.js';
import { videoFailed, type OnVideoError, type SceneRow } from './detect-scenes.js';

export interface SliceScenesConfig {
  timeoutSecs: number;
  onError: OnVideoError;
}

/** A scene with its video bytes. */
export interface SliceRow extends SceneRow {
  /** An MP4 of the scene alone. */
  bytes: Uint8Array | null;
  /** `copy` when the scene lies between keyframes and its packets were copied, `encode` when it was re-encoded. */
  method: string | null;
}

/**
 * Cuts each scene row (from DetectScenes) out of its video into MP4 bytes:
 * packets copied where the scene starts and ends on keyframes, re-encoded
 * otherwise (workflows/video_slice/slice.ts). Rows with an `error` pass
 * through; a scene ffmpeg cannot cut becomes one, or fails the job.
 */
export class SliceScenes extends Operator<SliceScenesConfig> {
  /** Kills this worker's ffmpeg runs when it closes (other workers may share the process). */
  private readonly runs = new AbortController();

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    const out: SliceRow[] = [];
    const keyframes = new Map<string, number[]>();
    const videoEnds = new Map<string, number>();
    const rows = payload.toRows() as SceneRow[];
    for (const row of rows) if (row.end !== null) videoEnds.set(row.video, Math.max(videoEnds.get(row.video) ?? 0, row.end));
    for (const row of rows) {
      if (row.error !== null || row.start === null || row.end === null) {
        out.push({ ...row, bytes: null, method: null });
        continue;
      }
      try {
        let times = keyframes.get(row.video);
        if (!times) keyframes.set(row.video, (times = await keyframeTimes(row.video, this.config.timeoutSecs, this.runs.signal)));
        // The last scene DetectScenes made of a video ends at the video's end.
        const slice = await cutScene(row.video, row.start, row.end, times, this.config.timeoutSecs, { videoDuration: videoEnds.get(row.video), signal: this.runs.signal });
        out.push({ ...row, bytes: slice.bytes, method: slice.method });
      } catch (error) {
        out.push({ ...videoFailed(this, row.video, row.scene, error), bytes: null, method: null });
      }
    }
    return out.length === 0 ? null : SplitPayload.fromRows(out, split.splitId);
  }

  override close(): void {
    this.runs.abort(new JobStoppedError('the worker closed'));
  }
}
