/**
 * Runs ffmpeg and ffprobe as child processes with a hard deadline.
 *
 * Every run goes through coreutils `timeout --signal=KILL`, so the tool dies
 * at its deadline even when this Node process is gone (killed with SIGKILL,
 * say) and nobody is left to kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SolsticeError, registerErrorClasses } from '../../lib/index.js';

/** The programs {@link runTool} runs. */
export type VideoTool = 'ffmpeg' | 'ffprobe';

/** How a tool run ended badly. */
export type VideoToolFailure =
  /** The tool exited with a non-zero status of its own. */
  | 'failed'
  /** The tool ran past its `timeoutSecs` and was killed. */
  | 'timedOut'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** Something else sent it a signal (the OOM killer, a user). */
  | 'killed'
  /** The tool ran but its output makes no sense for the video (no video stream, say). */
  | 'badOutput'
  /** The process could not be started. */
  | 'spawn';

/** A failed ffmpeg or ffprobe run, naming the tool, the video and the cause. */
export class VideoToolError extends SolsticeError {
  override readonly name: string = 'VideoToolError';
  /** The program that failed. */
  readonly tool: VideoTool;
  /** The video it was working on. */
  readonly file: string;
  /** The exit status, 128 + the signal's number when killed by a signal (137 for SIGKILL, as at a timeout); null when never started or aborted. */
  readonly exitCode: number | null;
  /** The last lines (up to 20) of the tool's standard error. */
  readonly stderrTail: string;
  /** How the run ended. */
  readonly failure: VideoToolFailure;

  constructor(fields: {
    tool: VideoTool;
    file: string;
    exitCode: number | null;
    stderrTail: string;
    failure: VideoToolFailure;
    message: string;
    cause?: unknown;
  }) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.tool = fields.tool;
    this.file = fields.file;
    this.exitCode = fields.exitCode;
    this.stderrTail = fields.stderrTail;
    this.failure = fields.failure;
  }

  override details(): Record<string, unknown> {
    return { tool: this.tool, file: this.file, exitCode: this.exitCode, stderrTail: this.stderrTail, failure: this.failure };
  }
}

registerErrorClasses({ VideoToolError });

/** Options of {@link runTool}. */
export interface RunToolOptions {
  /** Hard deadline in seconds (fractions allowed); the tool is SIGKILLed when it passes. */
  timeoutSecs: number;
  /** The video the run works on, for error messages. */
  file: string;
  /** Kills the tool (SIGKILL) and rejects the run when it fires. */
  signal?: AbortSignal;
  /**
   * Fails a run that exits 0 but wrote anything to standard error: for
   * `-v error` runs, as ffprobe exits 0 on a partial file and only logs it.
   */
  failOnStderr?: boolean;
}

/** What a successful run printed. */
export interface ToolOutput {
  stdout: Buffer;
  stderr: string;
}

const STDERR_TAIL_LINES = 20;
/** `timeout` exits 124 when the command timed out (with a catchable signal); 137 is 128 + SIGKILL's number. */
const TIMEOUT_STATUS = 124;
const KILLED_STATUS = 137;

/**
 * Runs `tool args...` under `timeout --signal=KILL timeoutSecs`, ffmpeg with
 * `-nostdin -hide_banner -nostats` first. Resolves with everything it wrote;
 * rejects with a {@link VideoToolError} on a non-zero exit, a timeout, an
 * abort or a kill, never resolving with partial output.
 */
export function runTool(tool: VideoTool, args: string[], options: RunToolOptions): Promise<ToolOutput> {
  const { timeoutSecs, file, signal } = options;
  // `timeout 0` means no deadline at all.
  if (!(Number.isFinite(timeoutSecs) && timeoutSecs > 0)) {
    return Promise.reject(new RangeError(`timeoutSecs must be a positive number of seconds, not ${timeoutSecs}`));
  }
  if (signal?.aborted) {
    return Promise.reject(abortedError(tool, file, '', signal.reason));
  }
  const toolArgs = tool === 'ffmpeg' ? ['-nostdin', '-hide_banner', '-nostats', ...args] : ['-hide_banner', ...args];

  return new Promise<ToolOutput>((resolve, reject) => {
    const startedAt = performance.now();
    // detached: the child leads a new process group, so one kill reaches `timeout` and the tool under it.
    const child = spawn('timeout', ['--signal=KILL', String(timeoutSecs), tool, ...toolArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });

    const stdoutChunks: Buffer[] = [];
    const stderrChunks: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdoutChunks.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderrChunks.push(chunk));

    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      killGroup(child);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    let settled = false;
    const finish = (outcome: { error: Error } | { output: ToolOutput }): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.output);
    };

    child.on('error', (cause) => {
      killGroup(child);
      finish({
        error: new VideoToolError({
          tool,
          file,
          exitCode: null,
          stderrTail: '',
          failure: 'spawn',
          message: `${tool} could not be started on ${file}: ${cause.message}`,
          cause,
        }),
      });
    });

    // 'close' comes after both pipes are drained, so the output is complete here.
    child.on('close', (code, killSignal) => {
      const stderr = Buffer.concat(stderrChunks).toString('utf8');
      const tail = stderrTail(stderr);
      if (aborted) {
        finish({ error: abortedError(tool, file, tail, signal?.reason) });
        return;
      }
      if (code === 0 && options.failOnStderr && tail !== '') {
        const message = `${tool} failed on ${file} (exit 0, errors logged): ${causeFromStderr(tail, file)}`;
        finish({ error: new VideoToolError({ tool, file, exitCode: 0, stderrTail: tail, failure: 'failed', message }) });
        return;
      }
      if (code === 0) {
        finish({ output: { stdout: Buffer.concat(stdoutChunks), stderr } });
        return;
      }
      const elapsedMs = performance.now() - startedAt;
      finish({ error: exitError(tool, file, code, killSignal, tail, elapsedMs, timeoutSecs) });
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is gone already (ESRCH): the 'close' event reports how the run ended.
  }
}

function exitError(
  tool: VideoTool,
  file: string,
  code: number | null,
  killSignal: NodeJS.Signals | null,
  tail: string,
  elapsedMs: number,
  timeoutSecs: number,
): VideoToolError {
  // As a shell reports it: 128 + the signal's number for a process killed by a signal.
  const status = code ?? 128 + (killSignal === null ? 0 : (constants.signals[killSignal] ?? 0));
  const fields = { tool, file, exitCode: status, stderrTail: tail };
  // At its deadline `timeout` SIGKILLs its whole process group, itself included, so we see it die of SIGKILL (137).
  // Someone else (the OOM killer, say) may SIGKILL it too: only a run that lasted its deadline timed out.
  const timedOut = status === TIMEOUT_STATUS || (status === KILLED_STATUS && elapsedMs >= timeoutSecs * 1000 - 5);
  if (timedOut) {
    return new VideoToolError({
      ...fields,
      failure: 'timedOut',
      message: `${tool} timed out on ${file} after ${timeoutSecs} s and was killed`,
    });
  }
  if (status > 128) {
    return new VideoToolError({ ...fields, failure: 'killed', message: `${tool} was killed by ${killSignal ?? `signal ${status - 128}`} on ${file}` });
  }
  return new VideoToolError({ ...fields, failure: 'failed', message: `${tool} failed on ${file} (exit ${status}): ${causeFromStderr(tail, file)}` });
}

function abortedError(tool: VideoTool, file: string, tail: string, reason: unknown): VideoToolError {
  return new VideoToolError({
    tool,
    file,
    exitCode: null,
    stderrTail: tail,
    failure: 'aborted',
    message: `${tool} on ${file} was aborted`,
    cause: reason,
  });
}

/** The last {@link STDERR_TAIL_LINES} non-empty lines of a tool's standard error. */
function stderrTail(stderr: string): string {
  const lines = stderr.split(/\r?\n|\r/).filter((line) => line.trim() !== '');
  return lines.slice(-STDERR_TAIL_LINES).join('\n');
}

/**
 * The last few distinct error lines, without ffmpeg's `[demuxer @ 0x...]`
 * and `path: ` prefixes: "moov atom not found; Invalid data found when processing input".
 */
function causeFromStderr(tail: string, file: string): string {
  const cleaned = tail
    .split('\n')
    .map((line) => line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .map((line) => (line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line))
    .filter((line) => line !== '');
  const distinct = [...new Set(cleaned)].slice(-3);
  return distinct.length > 0 ? distinct.join('; ') : 'no error output';
}
