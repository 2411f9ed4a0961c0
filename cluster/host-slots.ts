import type { ClusterHost, WorkerHost } from '../lib/placement-config.js';

const keyOf = (host: WorkerHost) => `${host.host}:${host.port}`;

/**
 * The worker slots of the cluster's hosts that answer, and how many of the
 * job's workers each runs: where an elastic stage's new workers go, the
 * freest host first. A host found again (its agent answers once more) adds
 * its slots; a drained worker gives its slot back.
 */
export class HostSlots {
  private readonly used = new Map<string, number>();
  private readonly live = new Map<string, ClusterHost>();

  constructor(live: readonly ClusterHost[], placed: Iterable<readonly WorkerHost[]>) {
    for (const host of live) this.live.set(keyOf(host), host);
    for (const hosts of placed) for (const host of hosts) this.used.set(keyOf(host), (this.used.get(keyOf(host)) ?? 0) + 1);
  }

  /** Slots free on the hosts that answer. */
  get free(): number {
    let free = 0;
    for (const [key, host] of this.live) free += Math.max(0, host.slots - (this.used.get(key) ?? 0));
    return free;
  }

  /** Up to `count` free slots, each on the host with the most free slots at the time; taken. */
  take(count: number): WorkerHost[] {
    const taken: WorkerHost[] = [];
    for (let i = 0; i < count; i++) {
      let best: ClusterHost | undefined;
      let bestFree = 0;
      for (const [key, host] of this.live) {
        const free = host.slots - (this.used.get(key) ?? 0);
        if (free > bestFree) {
          best = host;
          bestFree = free;
        }
      }
      if (!best) break;
      this.used.set(keyOf(best), (this.used.get(keyOf(best)) ?? 0) + 1);
      taken.push({ host: best.host, port: best.port });
    }
    return taken;
  }

  /** A worker on `host` ended: its slot is free again. */
  release(host: WorkerHost): void {
    const key = keyOf(host);
    this.used.set(key, Math.max(0, (this.used.get(key) ?? 0) - 1));
  }

  /** Configured hosts that do not answer now. */
  down(hosts: readonly ClusterHost[]): ClusterHost[] {
    return hosts.filter((host) => !this.live.has(keyOf(host)));
  }

  /** Hosts that answer again: their slots take workers. */
  found(hosts: readonly ClusterHost[]): void {
    for (const host of hosts) this.live.set(keyOf(host), host);
  }
}
