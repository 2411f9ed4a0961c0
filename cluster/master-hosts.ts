import { HostUnavailableError } from '../lib/errors/index.js';
import { clusterHostNamed, type ClusterHost, type MasterPlacement, type WorkerHost } from '../lib/placement-config.js';

/**
 * Chooses the host of each remote master among the hosts that answer now:
 * the one its placement names, else the next in turn, so that the masters
 * spread over the hosts and a lost host is not chosen again when the job
 * restarts. Masters take no worker slots: they only pass control messages.
 */
export class MasterHostPicker {
  private cursor: number;

  /** `startAt` offsets the turn, so that pickers in different processes do not all begin with the first host. */
  constructor(private readonly live: readonly ClusterHost[], private readonly all: readonly ClusterHost[], startAt = 0) {
    this.cursor = startAt;
  }

  /** Where master `name` runs: for a remote one, the host and port to give Comedy's createChild; nothing for the others. */
  place(name: string, placed: MasterPlacement): Partial<WorkerHost> {
    if (placed.mode !== 'remote') return {};
    if (placed.host !== undefined) {
      const named = clusterHostNamed(this.all, placed.host);
      if (!named || !this.live.includes(named)) {
        throw new HostUnavailableError(name, [placed.host], `${name} is placed on ${placed.host}, whose host agent does not answer`);
      }
      return { host: named.host, port: named.port };
    }
    if (this.live.length === 0) {
      const hosts = this.all.map((host) => `${host.host}:${host.port}`);
      throw new HostUnavailableError(name, hosts, `${name} runs on a host agent, and none answers: ${hosts.join(', ')}`);
    }
    const host = this.live[this.cursor++ % this.live.length]!;
    return { host: host.host, port: host.port };
  }
}
