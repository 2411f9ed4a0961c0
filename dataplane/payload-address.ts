import type { NetConnectOpts } from 'node:net';
import { SolsticeError } from '../lib/errors/index.js';

/**
 * Where a payload server listens: `unix:/path/to.sock` for processes and
 * threads on one host, `tcp:HOST:PORT` between hosts.
 */
export type PayloadAddress = `unix:${string}` | `tcp:${string}`;

export function connectOptions(address: string): NetConnectOpts {
  if (address.startsWith('unix:')) return { path: address.slice('unix:'.length) };
  const match = /^tcp:(.+):(\d+)$/.exec(address);
  if (match) return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) };
  // Addresses come from payload servers, never from users: a bug if reached.
  throw new SolsticeError(`'${address}' is not a payload server address (unix:PATH or tcp:HOST:PORT)`);
}
