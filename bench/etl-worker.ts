/**
 * One measured run for bench/etl, in its own process so that timings and peak
 * memory (maxRSS) are its own: `node etl-worker.js framework|baseline INPUT OUTPUT`
 * (INPUT: one JSON lines file).
 * Prints one JSON line: rows out, milliseconds, peak RSS in MiB.
 */
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Table, Utf8, makeVector, tableToIPC, vectorFromArray } from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { createJob } from '../workflows/simple_etl/index.js';

/** Bytes read at a time, and rows per Parquet file: the framework's default split size. */
const CHUNK_BYTES = 16 * 1024 * 1024;

interface PricedOrder {
  order_id: number;
  customer: string;
  product: string;
  price: number;
  qty: number;
  total: number;
}

/** Writes kept orders as one Parquet file, as the framework's Parquet writer is configured (snappy, row groups of 128Ki rows). */
async function writeOrders(path: string, orders: PricedOrder[]): Promise<void> {
  const numbers = (key: 'order_id' | 'price' | 'qty' | 'total') => makeVector(Float64Array.from(orders, (o) => o[key]));
  const strings = (key: 'customer' | 'product') => vectorFromArray(orders.map((o) => o[key]), new Utf8());
  const table = new Table({
    order_id: numbers('order_id'), customer: strings('customer'), product: strings('product'),
    price: numbers('price'), qty: numbers('qty'), total: numbers('total'),
  });
  const properties = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setMaxRowGroupSize(128 * 1024).build();
  await writeFile(path, pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(table, 'stream')), properties));
}

/**
 * simple_etl's work as a plain loop over the libraries, no project code:
 * node:fs in 16 MiB chunks, JSON.parse per line, the workflow's two functions
 * (copied: total rounded to cents, keep total > 100), an Arrow table per
 * chunk with apache-arrow, one Parquet file per chunk with parquet-wasm.
 */
async function baseline(inputs: string[], output: string): Promise<number> {
  await mkdir(output, { recursive: true });
  let written = 0;
  let part = 0;
  for (const path of inputs) {
    let rest = '';
    const flush = async (text: string) => {
      const kept: PricedOrder[] = [];
      let from = 0;
      while (from < text.length) {
        let to = text.indexOf('\n', from);
        if (to < 0) to = text.length;
        if (to > from) {
          const order = JSON.parse(text.slice(from, to)) as PricedOrder;
          order.total = Math.round(order.price * order.qty * 100) / 100;
          if (order.total > 100) kept.push(order);
        }
        from = to + 1;
      }
      await writeOrders(join(output, `part-${part++}.parquet`), kept);
      written += kept.length;
    };
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES })) {
      const text = rest + (chunk as string);
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      await flush(text.slice(0, cut));
    }
    if (rest) await flush(rest);
  }
  return written;
}

async function framework(input: string, output: string): Promise<number> {
  const job = await createJob('bench-etl', { input, output, parallelism: 1 });
  const summary = await job.createRunner({ stateBackend: join(output, '_state'), restore: 'none' }).run();
  return summary.stages.find((s) => s.stage === 'sink')!.rowsIn;
}

const [mode, input, output] = process.argv.slice(2) as [string, string, string];
const started = performance.now();
const rows = mode === 'framework' ? await framework(input, output) : await baseline([input], output);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ mode, rows, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
