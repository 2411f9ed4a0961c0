import { readdirSync, readlinkSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { childPids } from './processes.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Events of `process` whose listeners a library might add and forget. */
const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection', 'warning', 'message', 'disconnect'];

/**
 * What this process holds, as a service that runs job after job in it would
 * look: its active handles and requests by type (`getActiveResourcesInfo()`:
 * timers, sockets, pipes, child processes that keep it alive), its open file
 * descriptors by kind (sockets, pipes and files, unref'd ones included), its
 * threads (worker threads among them), its child processes, its listeners
 * for process events (and how many it allows before Node warns of a leak),
 * and its heap after garbage collection.
 */
export interface ProcessResources {
  handles: Record<string, number>;
  descriptors: Record<string, number>;
  threads: number;
  children: number[];
  listeners: Record<string, number>;
  maxListeners: number;
  heapBytes: number;
}

export async function processResources(): Promise<ProcessResources> {
  // A request that has just completed is listed until the next turn of the event loop.
  await nextTurn();
  gc();
  return {
    handles: countBy(process.getActiveResourcesInfo()),
    descriptors: countBy(openDescriptorKinds()),
    threads: readdirSync('/proc/self/task').length,
    children: childPids(process.pid),
    listeners: Object.fromEntries(PROCESS_EVENTS.map((event) => [event, process.listenerCount(event)])),
    maxListeners: process.getMaxListeners(),
    heapBytes: getHeapStatistics().used_heap_size,
  };
}

/**
 * What `after` holds more of than `before`, one line each ("descriptors
 * socket: 3 -> 4"); the heap may have grown by `heapSlackBytes` (code the
 * JIT compiles as the jobs run).
 */
export function resourcesGrown(before: ProcessResources, after: ProcessResources, heapSlackBytes: number): string[] {
  const grown: string[] = [];
  for (const part of ['handles', 'descriptors', 'listeners'] as const) {
    for (const [kind, count] of Object.entries(after[part])) {
      const was = before[part][kind] ?? 0;
      if (count > was) grown.push(`${part} ${kind}: ${was} -> ${count}`);
    }
  }
  for (const part of ['threads', 'maxListeners'] as const) {
    if (after[part] > before[part]) grown.push(`${part}: ${before[part]} -> ${after[part]}`);
  }
  const started = after.children.filter((pid) => !before.children.includes(pid));
  if (started.length > 0) grown.push(`child processes: ${started.join(', ')}`);
  const heapGrowth = after.heapBytes - before.heapBytes;
  if (heapGrowth > heapSlackBytes) grown.push(`heap: ${mib(before.heapBytes)} -> ${mib(after.heapBytes)} MiB, more than ${mib(heapSlackBytes)} MiB more`);
  return grown;
}

/** What each open descriptor is: 'socket', 'pipe', 'file', 'anon_inode:[eventfd]'... */
function openDescriptorKinds(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return [target.startsWith('/') ? 'file' : target.replace(/:\[\d+\]$/, '')];
    } catch {
      // The descriptor of the listing itself, closed since.
      return [];
    }
  });
}

function countBy(kinds: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
