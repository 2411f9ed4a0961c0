import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './files.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the solstice-node CLI as a child process, by default in a fresh temporary folder (where its checkpoints go). */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'solstice-cli-'));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
