import { execFile } from 'node:child_process';
import { CLI } from './files.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the solstice-node CLI as a child process. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
