import { ClusterCapacityError } from '../lib/errors/index.js';
import type { ClusterHost, WorkerHost } from '../lib/placement-config.js';
import type { Logger } from '../lib/logger.js';
import { requireClusterSecret } from './shared-secret.js';
import { connectAuthenticated } from './socket-handshake.js';

const PROBE_TIMEOUT_MS = 3000;

/** Which hosts answer and prove the secret now; the others, with why, for the log. */
export async function probeHosts(hosts: readonly ClusterHost[], secret: Buffer): Promise<{ live: ClusterHost[]; down: { host: ClusterHost; reason: string }[] }> {
  const results = await Promise.all(hosts.map(async (host) => {
    try {
      const socket = await connectAuthenticated(host.host, host.port, secret, PROBE_TIMEOUT_MS);
      socket.destroy();
      return { host };
    } catch (error) {
      return { host, reason: (error as Error).message };
    }
  }));
  return {
    live: results.filter((result) => result.reason === undefined).map((result) => result.host),
    down: results.flatMap((result) => (result.reason === undefined ? [] : [{ host: result.host, reason: result.reason }])),
  };
}

/** The hosts that answer now, proving this process's cluster secret; the others are logged with why, and get no actors. */
export async function liveHosts(hosts: readonly ClusterHost[], log: Logger): Promise<ClusterHost[]> {
  const { live, down } = await probeHosts(hosts, requireClusterSecret('the cluster'));
  for (const { host, reason } of down) log.warn({ host: `${host.host}:${host.port}`, reason }, 'host agent does not answer; it gets no actors');
  return live;
}

/**
 * Places every worker of every stage on a host with a free slot, spreading
 * each stage over the hosts in turn so that losing one host loses few workers
 * of any stage. With fewer slots than workers (a host was lost, or the
 * cluster is small) the job still runs: every host takes workers beyond its
 * slots in turn, and `shared` says so (the caller warns). Only a cluster
 * none of whose hosts answers cannot run it: ClusterCapacityError.
 */
export function assignWorkerHosts(
  workers: ReadonlyMap<string, number>, hosts: readonly ClusterHost[],
): { placed: Map<string, WorkerHost[]>; needed: number; slots: number; shared: boolean } {
  const needed = [...workers.values()].reduce((sum, count) => sum + count, 0);
  const slots = hosts.reduce((sum, host) => sum + host.slots, 0);
  if (hosts.length === 0 && needed > 0) throw new ClusterCapacityError(needed, slots, 'none');
  const shared = needed > slots;
  // Shared: each host's slots are counted again as often as needed, so every host still takes its share in turn.
  const rounds = shared ? Math.ceil(needed / Math.max(1, slots)) : 1;
  const free = hosts.map((host) => host.slots * rounds);
  let cursor = 0;
  const placed = new Map<string, WorkerHost[]>();
  for (const [stage, count] of workers) {
    const stageHosts: WorkerHost[] = [];
    for (let i = 0; i < count; i++) {
      while (free[cursor % hosts.length] === 0) cursor++;
      const index = cursor % hosts.length;
      free[index]!--;
      stageHosts.push({ host: hosts[index]!.host, port: hosts[index]!.port });
      cursor++;
    }
    placed.set(stage, stageHosts);
  }
  return { placed, needed, slots, shared };
}
