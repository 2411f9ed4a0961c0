/**
 * A process of bench/dataplane, forked by it with a role:
 * - `producer ROWS BATCHES`: builds BATCHES Arrow tables of ROWS rows (four
 *   float64 columns), puts them in its payload store, serves them and sends
 *   their refs to its parent;
 * - `consumer`: takes the refs it is sent from the producer's server and
 *   decodes each into a table; the first `warmup` untimed (a new process's
 *   first transfers pay for connections, compilation and the producer's
 *   shared memory), the rest timed. Sends back the bytes moved, the
 *   milliseconds and how the payloads arrived.
 */
import { makeTable } from 'apache-arrow';
import { processPayloadStore } from '../dataplane/local-payload-store.js';
import type { PayloadRef } from '../dataplane/payload-ref.js';
import { SplitPayload } from '../lib/split-payload.js';

const [role, rows, batches] = process.argv.slice(2) as [string, string, string];
const send = (message: unknown) => process.send!(message);

if (role === 'producer') {
  const store = processPayloadStore();
  await store.serve();
  const refs: PayloadRef[] = [];
  for (let b = 0; b < Number(batches); b++) {
    const columns = Object.fromEntries(['a', 'b', 'c', 'd'].map((name, c) => [name, Float64Array.from({ length: Number(rows) }, (_, i) => i * (c + 1) + b)]));
    refs.push(store.put(SplitPayload.fromTable(makeTable(columns), `bench/batch-${b}`), 1));
  }
  send({ refs });
  process.on('message', () => process.exit(0));
} else {
  process.on('message', async ({ refs, warmup }: { refs: PayloadRef[]; warmup: number }) => {
    const store = processPayloadStore();
    const warmupStarted = performance.now();
    for (const ref of refs.slice(0, warmup)) (await store.take(ref)).toTable();
    const warmupMs = performance.now() - warmupStarted;
    const started = performance.now();
    let bytes = 0;
    let rowsRead = 0;
    for (const ref of refs.slice(warmup)) {
      const payload = await store.take(ref);
      const table = payload.toTable();
      rowsRead += table.numRows;
      for (const column of table.data[0]!.children) bytes += column.values.byteLength;
    }
    const ms = performance.now() - started;
    send({ bytes, rows: rowsRead, ms, warmupMs, transfers: store.transfers() });
    process.exit(0);
  });
}
