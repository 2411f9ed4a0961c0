import test from 'ava';
import { tableFromArrays } from 'apache-arrow';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LocalPayloadStore } from '../dataplane/local-payload-store.js';
import { PayloadClient } from '../dataplane/payload-client.js';
import type { PayloadRef } from '../dataplane/payload-ref.js';
import { defaultSharedMemoryLimit, SHARED_MEMORY_LIMIT_ENV } from '../dataplane/shared-memory-pool.js';
import { sharedMemoryUnavailable } from '../dataplane/shared-memory.js';
import { ArgumentError } from '../lib/index.js';
import { SplitPayload } from '../lib/split-payload.js';
import { needing } from './support/requirements.js';
import { until } from './support/until.js';

const READER = fileURLToPath(new URL('fixtures/payload_reader.js', import.meta.url));
const MIB = 1 << 20;

/** A payload of `mib` MiB of data: float64 column `n` counting from `first`. */
function payloadOf(mib: number, first: number, tag: string): SplitPayload {
  const rows = Math.floor((mib * MIB) / 8);
  return SplitPayload.fromTable(tableFromArrays({ n: Float64Array.from({ length: rows }, (_, i) => first + i) }), `s/${tag}`);
}

/** A payload of about 2.5 MiB with strings and integers. */
function textPayload(tag: string): SplitPayload {
  const rows = 100_000;
  return SplitPayload.fromTable(tableFromArrays({
    t: Array.from({ length: rows }, (_, i) => `${tag} ligne ${i} – données é`),
    k: Int32Array.from({ length: rows }, (_, i) => i % 7),
  }), `s/${tag}`);
}

/** Where two payloads' rows first differ, or undefined if they hold the same rows (ava's deepEqual is slow on 10^5 rows). */
function firstDifference(actual: SplitPayload, expected: SplitPayload): string | undefined {
  const [a, b] = [actual.toRows(), expected.toRows()];
  if (a.length !== b.length) return `${a.length} rows instead of ${b.length}`;
  const i = a.findIndex((row, r) => JSON.stringify(row) !== JSON.stringify(b[r]));
  return i < 0 ? undefined : `row ${i}: ${JSON.stringify(a[i])} instead of ${JSON.stringify(b[i])}`;
}

async function servingStore(sharedMemoryBytes?: number): Promise<LocalPayloadStore> {
  const store = new LocalPayloadStore(sharedMemoryBytes === undefined ? {} : { sharedMemoryBytes });
  await store.serve();
  return store;
}

function startReader(execArgv: string[] = []): ChildProcess {
  return fork(READER, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function read(reader: ChildProcess, refs: PayloadRef[], keep: boolean): Promise<{ firstValues: number[]; transfers: { sharedMemory: number; socket: number } }> {
  reader.send({ refs, keep });
  const [answer] = await once(reader, 'message');
  return answer as { firstValues: number[]; transfers: { sharedMemory: number; socket: number } };
}

test('this machine lends payloads out of shared memory', (t) => {
  // CI builds the optional native binding; without it every other test here would pass on the socket path alone.
  t.is(sharedMemoryUnavailable(), undefined);
});

test('large payloads are lent out of shared memory and arrive whole; small ones cross the socket', async (t) => {
  const holder = await servingStore();
  const client = new PayloadClient();
  try {
    const sent = [payloadOf(3, 0, 'big'), payloadOf(0.01, 7, 'small'), textPayload('text')];
    const received = await Promise.all(sent.map((payload) => client.take(holder.put(payload, 1))));
    received.forEach((payload, i) => {
      t.is(payload.splitId, sent[i]!.splitId);
      t.is(firstDifference(payload, sent[i]!), undefined);
    });
    t.deepEqual(client.stats(), { sharedMemory: 2, socket: 1 });
    t.is(holder.sharedMemoryPool!.leases, 2, 'the two large payloads are lent while their tables live');
  } finally {
    client.close();
  }
});

test('a lease comes back once the reader has dropped its table, and its segment is lent again', async (t) => {
  const holder = await servingStore();
  const reader = startReader(['--expose-gc']);
  try {
    const refs = Array.from({ length: 12 }, (_, i) => holder.put(payloadOf(4, i * 1000, `p${i}`), 1));
    const { firstValues, transfers } = await read(reader, refs, false);
    t.deepEqual(firstValues, refs.map((_, i) => i * 1000));
    t.deepEqual(transfers, { sharedMemory: 12, socket: 0 });
    await until('every lease is back', () => holder.sharedMemoryPool!.leases === 0);
    // Segments are sized in eighths of a power of two: 4.5 MiB for 4 MiB and Arrow's headers.
    t.true(holder.sharedMemoryPool!.bytes <= 2 * 4.5 * MIB, `12 payloads of 4 MiB used ${holder.sharedMemoryPool!.bytes} bytes of shared memory`);
  } finally {
    reader.kill();
  }
});

test('a reader killed with SIGKILL gives back the segments it held, and nothing is left in /dev/shm', async (t) => {
  const holder = await servingStore();
  const before = readdirSync('/dev/shm').filter((name) => name.startsWith('solstice-'));
  const reader = startReader();
  const refs = Array.from({ length: 3 }, (_, i) => holder.put(payloadOf(2, i, `k${i}`), 1));
  const { transfers } = await read(reader, refs, true);
  t.deepEqual(transfers, { sharedMemory: 3, socket: 0 });
  t.is(holder.sharedMemoryPool!.leases, 3);
  reader.kill('SIGKILL');
  await until('the killed reader\'s leases are back', () => holder.sharedMemoryPool!.leases === 0);
  // The segments are unlinked files held open by the holder: a kill leaves no file behind.
  t.deepEqual(readdirSync('/dev/shm').filter((name) => name.startsWith('solstice-')), before);

  const held = holder.sharedMemoryPool!.bytes;
  const next = startReader();
  try {
    const again = await read(next, [holder.put(payloadOf(2, 42, 'again'), 1)], true);
    t.deepEqual(again, { firstValues: [42], transfers: { sharedMemory: 1, socket: 0 } });
    t.is(holder.sharedMemoryPool!.bytes, held, 'a segment was reused, none made');
  } finally {
    next.kill();
  }
});

// Another user may not open /proc/PID/fd of this process: a real reader that cannot map the segments. Switching users needs root.
const asAnotherUser = needing(process.getuid?.() === 0 ? undefined : 'switching to another user needs root');

asAnotherUser('a reader that may not map the holder\'s shared memory gets the bytes over the socket, and the leases come back', async (t) => {
  const holder = await servingStore();
  const refs = [holder.put(payloadOf(3, 0, 'u0'), 1), holder.put(payloadOf(3, 5000, 'u1'), 1)];
  // The reader runs as nobody; the socket must let it connect.
  chmodSync(refs[0]!.address!.replace(/^unix:/, ''), 0o777);
  const reader = fork(READER, [], {
    execPath: '/usr/bin/setpriv', execArgv: ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  reader.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const { firstValues, transfers } = await read(reader, refs, false);
    t.deepEqual(firstValues, [0, 5000]);
    t.deepEqual(transfers, { sharedMemory: 0, socket: 2 });
    await until('the lease of the copied segment is back', () => holder.sharedMemoryPool!.leases === 0);
    t.is(stderr.match(/could not map shared memory of process \d+ \(.*\); payloads from unix:\S+ cross the socket instead/g)?.length, 1, stderr);
  } finally {
    reader.kill();
  }
});

test('payloads cross the socket while the shared memory limit is reached', async (t) => {
  const holder = await servingStore(5 * MIB);
  const client = new PayloadClient();
  try {
    const sent = [payloadOf(2, 1, 'a'), payloadOf(2, 2, 'b'), payloadOf(2, 3, 'c')];
    const received = [];
    for (const payload of sent) received.push(await client.take(holder.put(payload, 1)));
    received.forEach((payload, i) => t.is(firstDifference(payload, sent[i]!), undefined));
    t.deepEqual(client.stats(), { sharedMemory: 2, socket: 1 });
    t.true(holder.sharedMemoryPool!.bytes <= 5 * MIB);
  } finally {
    client.close();
  }
});

test('a reader that changes its input in place changes only its own copy', async (t) => {
  const holder = await servingStore();
  const client = new PayloadClient();
  try {
    const ref = holder.put(payloadOf(2, 10, 'shared'), 2);
    const first = (await client.take(ref)).toTable();
    const values = first.getChild('n')!.data[0]!.values as Float64Array;
    values.fill(-1);
    const second = (await client.take(ref)).toTable();
    t.is(second.getChild('n')!.get(0), 10);
    t.is(second.getChild('n')!.get(second.numRows - 1), 10 + second.numRows - 1);
    t.is(first.getChild('n')!.get(0), -1);
    t.deepEqual(client.stats(), { sharedMemory: 2, socket: 0 });
  } finally {
    client.close();
  }
});

test('SOLSTICE_SHARED_MEMORY_MIB sets the limit and must be a number', (t) => {
  const saved = process.env[SHARED_MEMORY_LIMIT_ENV];
  try {
    process.env[SHARED_MEMORY_LIMIT_ENV] = '64';
    t.is(defaultSharedMemoryLimit(), 64 * MIB);
    process.env[SHARED_MEMORY_LIMIT_ENV] = '0';
    t.is(defaultSharedMemoryLimit(), 0);
    process.env[SHARED_MEMORY_LIMIT_ENV] = 'lots';
    const refused = t.throws(() => defaultSharedMemoryLimit(), { instanceOf: ArgumentError, message: /SOLSTICE_SHARED_MEMORY_MIB must be a number of MiB \(0 or more\), not 'lots'/ });
    t.deepEqual([refused!.argument, refused!.value], [SHARED_MEMORY_LIMIT_ENV, 'lots']);
  } finally {
    if (saved === undefined) delete process.env[SHARED_MEMORY_LIMIT_ENV];
    else process.env[SHARED_MEMORY_LIMIT_ENV] = saved;
  }
});
