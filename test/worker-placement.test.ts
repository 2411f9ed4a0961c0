/**
 * How a job's workers are placed on a cluster's hosts: spread in turn within
 * their slots, and, with fewer slots than workers (a host lost, a small
 * cluster), shared rather than refused; only a cluster with no host that
 * answers cannot run the job.
 */
import test from 'ava';
import { assignWorkerHosts } from '../cluster/worker-hosts.js';
import { ClusterCapacityError } from '../lib/errors/index.js';

const host = (name: string, slots: number) => ({ host: name, port: 6161, slots });
const countOn = (placed: Map<string, { host: string }[]>) => {
  const counts = new Map<string, number>();
  for (const hosts of placed.values()) for (const { host: name } of hosts) counts.set(name, (counts.get(name) ?? 0) + 1);
  return Object.fromEntries([...counts].sort());
};

test('workers spread over the hosts in turn, within their slots', (t) => {
  const { placed, shared } = assignWorkerHosts(new Map([['source', 1], ['work', 2], ['sink', 2]]), [host('a', 3), host('b', 2)]);
  t.false(shared);
  t.deepEqual(countOn(placed), { a: 3, b: 2 });
  t.deepEqual(placed.get('work')!.map((h) => h.host), ['b', 'a'], 'a stage\'s workers on different hosts');
});

test('with fewer slots than workers, the hosts share them evenly and the job runs', (t) => {
  const { placed, shared, needed, slots } = assignWorkerHosts(new Map([['source', 1], ['slow', 2], ['records', 2], ['totals', 2]]), [host('a', 2), host('b', 2)]);
  t.true(shared);
  t.is(needed, 7);
  t.is(slots, 4);
  const counts = countOn(placed);
  t.is(counts.a! + counts.b!, 7);
  t.true(Math.abs(counts.a! - counts.b!) <= 1, JSON.stringify(counts));
});

test('a cluster none of whose hosts answers cannot run the job', (t) => {
  t.throws(() => assignWorkerHosts(new Map([['work', 2]]), []), { instanceOf: ClusterCapacityError, message: /The job needs 2 worker slots; the hosts that answer have 0: none/ });
});
