import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './files.js';
import { until } from './until.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the solstice-node CLI as a child process, by default in a fresh temporary folder (where its checkpoints go),
 * with this process's environment and `env`.
 * A run still going after `timeoutMs` is killed and rejects, so it cannot pass for an exit code of the CLI's own.
 */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'solstice-cli-'));
  const timeout = options.timeoutMs ?? 120_000;
  const env = { ...process.env, ...options.env };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error?.killed) {
        reject(new Error(`solstice-node ${args.join(' ')} was still running after ${timeout / 1000} s and was killed; its stderr:\n${stderr.slice(-4000)}`));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningCli {
  child: ChildProcess;
  /** What the CLI printed on stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Whether it has exited. */
  ended(): boolean;
}

/**
 * Runs the CLI under a pseudo-terminal, as at a terminal 200 columns wide: `script -qfec` gives it one for stdout
 * and stderr, whose output comes back as one stream. Returns it cut into what the terminal would show between
 * cursor moves: each bar's text, each line of the summary.
 */
export function runCliInTerminal(args: string[], cwd: string): Promise<{ code: number; fragments: string[]; raw: string }> {
  // A pseudo-terminal of script's own has no size (without one the bars' library assumes 80 columns).
  const command = `stty cols 200 rows 50 && exec ${[process.execPath, CLI, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ')}`;
  return new Promise((resolve, reject) => {
    execFile('script', ['-qfec', command, '/dev/null'], { cwd, timeout: 120_000, maxBuffer: 64 << 20 }, (error, stdout) => {
      if (error?.killed) {
        reject(new Error(`solstice-node ${args.join(' ')} under script was still running after 120 s; its output:\n${stdout.slice(-4000)}`));
        return;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      const fragments = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '\n').split(/[\r\n]+/).map((text) => text.trimEnd()).filter(Boolean);
      resolve({ code, fragments, raw: stdout });
    });
  });
}

/** Starts the solstice-node CLI in `cwd` and lets the test watch its output while it runs (to kill its processes, say). */
export function startCli(args: string[], cwd: string): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let ended = false;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => (ended = true));
  return { child, stdout: () => stdout, stderr: () => stderr, exited, ended: () => ended };
}

/** Waits until the CLI's stderr matches `pattern`; false if it exited without. */
export async function untilLogged(job: RunningCli, pattern: RegExp | ((stderr: string) => boolean)): Promise<boolean> {
  const matches = typeof pattern === 'function' ? pattern : (text: string) => pattern.test(text);
  for (;;) {
    if (matches(job.stderr())) return true;
    if (job.ended()) return matches(job.stderr());
    await Promise.race([once(job.child.stderr!, 'data'), job.exited]);
  }
}

/** Waits until `condition` holds; fails at once, with the CLI's stderr, if the CLI ends first. */
export async function untilBeforeExit(cli: RunningCli, what: string, condition: () => boolean): Promise<void> {
  await until(what, () => {
    if (cli.ended()) throw new Error(`the CLI ended before ${what}:\n${cli.stderr()}`);
    return condition();
  });
}
