import type { ExecutionContext } from 'ava';
import { startAgent, stopAgents, writeClusterFile, writeSecret } from './host-agents.js';

/** Host agents on the given addresses, sharing a new secret in `dir`, stopped when the test ends, and cluster.json for them. */
export async function clusterIn(t: ExecutionContext, dir: string, addresses: string[], slots: number) {
  const secretFile = await writeSecret(dir);
  const agents = await Promise.all(addresses.map((address) => startAgent(address, secretFile, dir)));
  t.teardown(() => stopAgents(agents));
  return { secretFile, agents, hosts: await writeClusterFile(dir, agents, secretFile, slots) };
}
