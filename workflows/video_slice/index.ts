/**
 * video_slice: cut videos into scenes, with ffmpeg, into a Lance table.
 *
 *   videos (LanceTableSource, a video per split) -> detect [2, 6] -> slice [2, 4] -+-> keep -> hash -> sink
 *                                                                                  +-> errors -> errors-sink
 *
 * Config (CLI: --key value):
 * - output: the slices' Lance table (`--sink lance`, the default) or folder (`--sink file`, Parquet). Required.
 * - videos: a folder of videos; its table (`source`, default `<output's folder>/videos.lance`) is built or brought up to date first.
 * - source: a Lance table with a `video` column of paths, one row per video.
 * - sceneThreshold (0.3), minSceneSecs (1), keepEvery (1: every slice; n: scenes 0, n, 2n...).
 * - sink: lance | file. mode: the LanceSink's mode (create, append, overwrite; default create).
 * - onError: record (the default: a video or scene ffmpeg cannot read goes to the errors output, `errors`,
 *   default `<output's folder>/errors`, as JSON lines, and the job goes on) | fail.
 * - timeoutSecs: longest an ffmpeg or ffprobe run may take (default 600).
 * - checkpointIntervalSecs (default the Job's).
 */
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { FileSink, FilterOperator, Job, LanceSink, LanceTableSource, MapOperator, OperatorConfigError, Stage, type LanceWriteMode, type Row } from '../../lib/index.js';
import { DetectScenes, type OnVideoError } from './detect-scenes.js';
import { SliceScenes, type SliceRow } from './slice-scenes.js';
import { importVideos } from './videos-table.js';

export { importVideos } from './videos-table.js';

export interface VideoSliceConfig {
  output?: string;
  videos?: string;
  source?: string;
  sceneThreshold?: number | string;
  minSceneSecs?: number | string;
  keepEvery?: number | string;
  sink?: 'lance' | 'file';
  mode?: LanceWriteMode;
  onError?: OnVideoError;
  errors?: string;
  timeoutSecs?: number | string;
  checkpointIntervalSecs?: number | string;
}

/** A slice as stored: the scene, its bytes, their SHA-256 and size. */
export interface StoredSlice extends Row {
  video: string;
  scene: number;
  start: number;
  end: number;
  duration: number;
  width: number;
  height: number;
  fps: number;
  method: string;
  sha256: string;
  size: number;
  bytes: Uint8Array;
}

export async function createJob(jobId: string, config: VideoSliceConfig = {}): Promise<Job> {
  if (!config.output) throw new OperatorConfigError('video_slice needs --output: the slices\' Lance table (e.g. out/slices.lance), or a folder with --sink file');
  const output = resolve(config.output);
  const source = resolve(config.source ?? join(dirname(output), 'videos.lance'));
  if (config.videos !== undefined) await importVideos(String(config.videos), source);
  else if (config.source === undefined) throw new OperatorConfigError('video_slice needs --videos (a folder of videos) or --source (a Lance table of them)');
  const onError = config.onError ?? 'record';
  if (onError !== 'record' && onError !== 'fail') throw new OperatorConfigError(`video_slice --on-error must be record or fail, got '${String(onError)}'`);
  const sink = config.sink ?? 'lance';
  if (sink !== 'lance' && sink !== 'file') throw new OperatorConfigError(`video_slice --sink must be lance or file, got '${String(sink)}'`);
  const keepEvery = positive('keepEvery', config.keepEvery ?? 1);
  const timeoutSecs = positive('timeoutSecs', config.timeoutSecs ?? 600);

  const job = new Job({ jobId, checkpointIntervalSecs: config.checkpointIntervalSecs === undefined ? undefined : Number(config.checkpointIntervalSecs) });
  job.addStage(new Stage('videos', LanceTableSource, { uri: source, columns: ['video'], batchRows: 1 }, 1));
  job.addStage(new Stage('detect', DetectScenes, {
    threshold: Number(config.sceneThreshold ?? 0.3), minSceneSecs: Number(config.minSceneSecs ?? 1), timeoutSecs, onError,
  }, [2, 6]), ['videos']);
  job.addStage(new Stage('slice', SliceScenes, { timeoutSecs, onError }, [2, 4]), ['detect']);
  job.addStage(new Stage('keep', FilterOperator<SliceRow>, { fn: (row) => row.error === null && row.scene % keepEvery === 0 }, 2), ['slice']);
  job.addStage(new Stage('hash', MapOperator<SliceRow, StoredSlice>, { fn: storedSlice }, 2), ['keep']);
  job.addStage(sink === 'lance'
    ? new Stage('sink', LanceSink, { uri: output, mode: config.mode ?? 'create' }, 2)
    : new Stage('sink', FileSink, { path: output, format: 'parquet' }, 2), ['hash']);
  job.addStage(new Stage('errors', FilterOperator<SliceRow>, { fn: (row) => row.error !== null }, 1), ['slice']);
  job.addStage(new Stage('errors-sink', FileSink, { path: resolve(config.errors ?? join(dirname(output), 'errors')), format: 'jsonl' }, 1, { errorOutput: true }), ['errors']);
  return job;
}

/** The stored columns of a slice, with the SHA-256 (hex) and size of its bytes. */
export function storedSlice(row: SliceRow): StoredSlice {
  const bytes = row.bytes!;
  return {
    video: row.video, scene: row.scene, start: row.start!, end: row.end!, duration: row.duration!,
    width: row.width!, height: row.height!, fps: row.fps!, method: row.method!,
    sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, bytes,
  };
}

function positive(name: string, value: number | string): number {
  const number = Number(value);
  if (!(number > 0)) throw new OperatorConfigError(`video_slice --${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive number, got '${String(value)}'`);
  return number;
}
