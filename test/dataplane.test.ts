import test from 'ava';
import { existsSync } from 'node:fs';
import { tableFromArrays } from 'apache-arrow';
import { LocalPayloadStore } from '../dataplane/local-payload-store.js';
import { PayloadClient } from '../dataplane/payload-client.js';
import { SplitPayload } from '../lib/split-payload.js';

function payloadOf(rows: number, tag: string): SplitPayload {
  const table = tableFromArrays({
    n: Float64Array.from({ length: rows }, (_, i) => i),
    k: Int32Array.from({ length: rows }, (_, i) => i % 7),
    t: Array.from({ length: rows }, (_, i) => `${tag}-${i}-é`),
  });
  return SplitPayload.fromTable(table, `s/${tag}`);
}

test('payloads of every size cross the socket whole, pipelined, in any order of arrival', async (t) => {
  const holder = new LocalPayloadStore();
  await holder.serve();
  // Sizes around the 64 KiB read size and across many reads, and an empty table.
  const sizes = [0, 1, 3, 4000, 4096, 8191, 200_000, 17, 300_000];
  const sent = sizes.map((rows, i) => payloadOf(rows, `p${i}`));
  const refs = sent.map((payload) => holder.put(payload, 1));
  const client = new PayloadClient();
  try {
    const received = await Promise.all(refs.map((ref) => client.take(ref)));
    received.forEach((payload, i) => {
      t.is(payload.splitId, sent[i]!.splitId);
      t.is(payload.numRows, sizes[i]);
      t.deepEqual(payload.toRows(), sent[i]!.toRows());
    });
    t.is(holder.size, 0, 'each payload is freed once its one reader took it');
  } finally {
    client.close();
  }
});

test('the last worker to stop serving closes the server and its socket file goes, unless a payload still awaits its reader', async (t) => {
  const holder = new LocalPayloadStore();
  await holder.serve();
  await holder.serve();
  const waiting = holder.put(payloadOf(10, 'waiting'), 1);
  const socketFile = waiting.address!.slice('unix:'.length);
  await holder.stopServing();
  await holder.stopServing();
  t.true(existsSync(socketFile), 'a payload awaits its reader: the server stays');
  const client = new PayloadClient();
  try {
    t.is((await client.take(waiting)).numRows, 10);
  } finally {
    client.close();
  }
  await holder.serve();
  await holder.stopServing();
  t.false(existsSync(socketFile), 'no payload awaits a reader: the last worker to stop closed the server');
});
