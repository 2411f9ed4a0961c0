import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { CLI } from './files.js';

export interface RunningAgent {
  host: string;
  port: number;
  process: ChildProcess;
  /** What the agent printed on stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
}

/** Writes a random cluster secret (hex, 64 characters) to `dir/name`. */
export async function writeSecret(dir: string, name = 'cluster.secret'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return path;
}

/** Starts `solstice-node node --listen HOST:PORT` (any free port by default) and waits until it says where it listens. */
export function startAgent(host: string, secretFile: string, cwd: string, port = 0): Promise<RunningAgent> {
  const child = spawn(process.execPath, [CLI, 'node', '--listen', `${host}:${port}`, '--secret-file', secretFile, '--log-level', 'info'], {
    cwd, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on (\S+):(\d+)/.exec(text);
      if (match) resolve({ host: match[1]!, port: Number(match[2]), process: child, output: () => text, exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`host agent on ${host} exited with ${code}: ${text}`)));
  });
}

/** Writes cluster.json for the agents, `slots` worker slots each. */
export async function writeClusterFile(dir: string, agents: RunningAgent[], secretFile: string, slots: number): Promise<string> {
  const path = join(dir, 'cluster.json');
  await writeFile(path, JSON.stringify({ secretFile, hosts: agents.map(({ host, port }) => ({ host, port, slots })) }, null, 2));
  return path;
}

/** Ends the agents (SIGTERM) and waits for them. */
export async function stopAgents(agents: RunningAgent[]): Promise<void> {
  for (const agent of agents) if (agent.process.exitCode === null && agent.process.signalCode === null) agent.process.kill('SIGTERM');
  await Promise.all(agents.map((agent) => agent.exited));
}

/** Host agents on the given addresses, sharing a new secret in `dir`, stopped when the test ends, and cluster.json for them. */
export async function clusterIn(t: ExecutionContext, dir: string, addresses: string[], slots: number) {
  const secretFile = await writeSecret(dir);
  const agents = await Promise.all(addresses.map((address) => startAgent(address, secretFile, dir)));
  t.teardown(() => stopAgents(agents));
  return { secretFile, agents, hosts: await writeClusterFile(dir, agents, secretFile, slots) };
}
