/**
 * What ffprobe tells about a video: its size, rate and length, and where its
 * keyframes are.
 */
import { runTool, VideoToolError } from './ffmpeg-process.js';

/** A video's first video stream, as {@link probeVideo} reads it. */
export interface VideoInfo {
  /** Length in seconds: the video stream's, else the container's. */
  duration: number;
  width: number;
  height: number;
  /** Frames per second (the average rate, else the base rate). */
  fps: number;
  /** ffprobe's codec name, e.g. `h264`. */
  codec: string;
}

interface ProbeJson {
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    duration?: string;
  }>;
  format?: { duration?: string };
}

/**
 * Size, frame rate, length and codec of the first video stream of `path`.
 * Rejects with a {@link VideoToolError} when ffprobe cannot read the file
 * (truncated, not a video), when it has no video stream, or when its length
 * or frame rate is not a positive number.
 *
 * ffprobe reads only the container's header here: a truncated file whose index
 * sits at the front (`-movflags +faststart`) probes fine, and only
 * {@link keyframeTimes}, which reads every packet, notices the missing end.
 */
export async function probeVideo(path: string, timeoutSecs: number, signal?: AbortSignal): Promise<VideoInfo> {
  const { stdout } = await runTool('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], {
    timeoutSecs,
    file: path,
    signal,
  });
  const badOutput = (reason: string): VideoToolError =>
    new VideoToolError({ tool: 'ffprobe', file: path, exitCode: 0, stderrTail: '', failure: 'badOutput', message: `ffprobe on ${path}: ${reason}` });

  let parsed: ProbeJson;
  try {
    parsed = JSON.parse(stdout.toString('utf8')) as ProbeJson;
  } catch (cause) {
    throw new VideoToolError({
      tool: 'ffprobe',
      file: path,
      exitCode: 0,
      stderrTail: '',
      failure: 'badOutput',
      message: `ffprobe on ${path} printed invalid JSON: ${(cause as Error).message}`,
      cause,
    });
  }
  const video = parsed.streams?.find((stream) => stream.codec_type === 'video');
  if (video === undefined) throw badOutput('no video stream');

  const duration = positiveOrUndefined(Number(video.duration)) ?? positiveOrUndefined(Number(parsed.format?.duration));
  if (duration === undefined) throw badOutput(`no positive duration (stream ${video.duration}, container ${parsed.format?.duration})`);
  const fps = positiveOrUndefined(parseFrameRate(video.avg_frame_rate)) ?? positiveOrUndefined(parseFrameRate(video.r_frame_rate));
  if (fps === undefined) throw badOutput(`no frame rate (avg ${video.avg_frame_rate}, base ${video.r_frame_rate})`);
  const { width, height } = video;
  if (!(typeof width === 'number' && width > 0 && typeof height === 'number' && height > 0)) {
    throw badOutput(`no frame size (${width}x${height})`);
  }
  return { duration, width, height, fps, codec: video.codec_name ?? 'unknown' };
}

/**
 * Presentation times (seconds from the start of the file, the clock of
 * ffmpeg's `-ss`, ascending) of the keyframes of the first video stream.
 *
 * Reads the packets' keyframe flags (`K`) from the demuxer, which decodes
 * nothing: for MP4 they come from the sync-sample table. Rejects with a
 * {@link VideoToolError} when ffprobe reports any error, such as a partial
 * file, since the list would then stop short.
 */
export async function keyframeTimes(path: string, timeoutSecs: number, signal?: AbortSignal): Promise<number[]> {
  const { stdout } = await runTool(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'format=start_time:packet=pts_time,flags', '-of', 'csv=p=1', path],
    // ffprobe exits 0 on a truncated file, only logging "partial file" and NAL errors.
    { timeoutSecs, file: path, failOnStderr: true, signal },
  );
  let startTime = 0;
  const times: number[] = [];
  for (const line of stdout.toString('utf8').split('\n')) {
    const [section, time, flags] = line.trim().split(',');
    if (section === 'format') {
      startTime = Number(time) || 0;
    } else if (section === 'packet' && flags?.includes('K') && time !== 'N/A') {
      times.push(Number(time));
    }
  }
  // ffmpeg shifts the file to start at 0 (-ss and showinfo's pts_time count from there); packet times do not.
  return [...new Set(times.map((t) => t - startTime))].sort((a, b) => a - b);
}

/** An ffprobe frame rate as a number: "30000/1001" -> 29.97; NaN for "0/0", a missing or an unreadable rate. */
export function parseFrameRate(rate: string | undefined): number {
  if (rate === undefined || rate.trim() === '') return NaN;
  const [num, den] = rate.split('/').map(Number);
  return den === undefined ? Number(num) : Number(num) / den;
}

function positiveOrUndefined(value: number): number | undefined {
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
