import { ArgumentError } from '../lib/errors/index.js';
import type { LogLevel } from '../lib/logger.js';
import { DEFAULT_AGENT_PORT } from '../cluster/cluster-config.js';
import { HostAgent } from '../comedy-adapter/index.js';
import { readSecretFile } from '../cluster/shared-secret.js';
import { describeFailure } from './run-command.js';
import { resolve } from 'node:path';

/** `--listen` as host and port: `10.0.0.2:6161`, `[fd00::2]:6161`, or a host alone for port 6161; port 0 takes a free one. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(value);
  if (!match) throw new ArgumentError('--listen', value, `--listen takes HOST:PORT (e.g. 10.0.0.2:6161), got '${value}'`);
  const host = match[1] ?? match[2]!;
  const port = match[3] === undefined ? DEFAULT_AGENT_PORT : Number(match[3]);
  if (port > 65535) throw new ArgumentError('--listen', value, `--listen: ${port} is not a TCP port`);
  if (host === '0.0.0.0' || host === '::') {
    throw new ArgumentError('--listen', value, `--listen ${value} would accept connections on every interface; name the address of the network the cluster uses`);
  }
  return { host, port };
}

/** `solstice-node node`: runs a host agent until SIGINT or SIGTERM; returns the exit code. */
export async function runHostAgentCommand(options: { listen: string; secretFile: string; logLevel?: LogLevel }): Promise<number> {
  let agent: HostAgent;
  try {
    const { host, port } = parseListen(options.listen);
    const secretFile = resolve(options.secretFile);
    agent = await HostAgent.start({ host, port, secret: await readSecretFile(secretFile), secretFile, logLevel: options.logLevel });
  } catch (error) {
    process.stderr.write(`${describeFailure(error)}\n`);
    return 1;
  }
  process.stdout.write(`solstice-node host agent listening on ${agent.address}\n`);
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  process.stdout.write(`${signal}: host agent stopping; its actor processes end with it\n`);
  await agent.close();
  return 0;
}
