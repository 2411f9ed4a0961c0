import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ClusterConfigError } from '../lib/errors/index.js';
import { unknownKeys } from '../lib/option-check.js';
import type { ClusterConfig, ClusterHost } from '../lib/placement-config.js';
import { readSecretFile } from './shared-secret.js';

/** Comedy's default remote port, used by host agents when cluster.json names none. */
export const DEFAULT_AGENT_PORT = 6161;

/**
 * Reads cluster.json:
 * `{ "secretFile": "cluster.secret", "hosts": [{ "host": "10.0.0.2", "port": 6161, "slots": 2 }] }`.
 * `secretFile` is relative to the file's folder; `port` defaults to 6161 and `slots` to 1.
 */
export async function readClusterConfig(path: string): Promise<ClusterConfig> {
  const file = resolve(path);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ClusterConfigError(file, `--hosts: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const fail = (what: string): never => {
    throw new ClusterConfigError(file, `--hosts: ${file}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('expected an object with "secretFile" and "hosts"');
  const topProblem = unknownKeys(raw, ['secretFile', 'hosts'], 'key');
  if (topProblem) fail(topProblem);
  const { secretFile, hosts } = raw as { secretFile?: unknown; hosts?: unknown };
  if (typeof secretFile !== 'string' || secretFile === '') fail('"secretFile" must name the file holding the shared secret');
  if (!Array.isArray(hosts) || hosts.length === 0) fail('"hosts" must list at least one host');
  const parsed = (hosts as unknown[]).map((entry, index): ClusterHost => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`hosts[${index}] must be an object: { "host": "10.0.0.2", "port": 6161, "slots": 2 }`);
    const entryProblem = unknownKeys(entry as object, ['host', 'port', 'slots'], 'key');
    if (entryProblem) fail(`hosts[${index}]: ${entryProblem}`);
    const { host, port = DEFAULT_AGENT_PORT, slots = 1 } = entry as Record<string, unknown>;
    if (typeof host !== 'string' || host === '') fail(`hosts[${index}].host must be a host name or address`);
    if (host === '0.0.0.0' || host === '::') fail(`hosts[${index}].host must be an address the other hosts reach, not '${host}' (all interfaces)`);
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) fail(`hosts[${index}].port must be a TCP port`);
    if (!Number.isInteger(slots) || (slots as number) < 1) fail(`hosts[${index}].slots must be a positive integer`);
    return { host: host as string, port: port as number, slots: slots as number };
  });
  const seen = new Set<string>();
  for (const { host, port } of parsed) {
    if (seen.has(`${host}:${port}`)) fail(`${host}:${port} is listed twice`);
    seen.add(`${host}:${port}`);
  }
  return { hosts: parsed, secret: await readSecretFile(resolve(dirname(file), secretFile as string)) };
}
