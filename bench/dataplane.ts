/**
 * bench/dataplane: Arrow batches moved between two forked processes through
 * the data plane (the producer's payload server, which lends them out of
 * its shared memory or writes them to a Unix socket as Arrow IPC; the
 * consumer decodes them), against a plain in-process Buffer.copy of the
 * same number of bytes in the same run. Steady state: the consumer's first
 * batches are a warm-up, timed apart.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { PayloadClientStats } from '../dataplane/payload-client.js';
import type { PayloadRef } from '../dataplane/payload-ref.js';

const WORKER = fileURLToPath(new URL('./dataplane-worker.js', import.meta.url));

interface Transfer {
  bytes: number;
  rows: number;
  ms: number;
  warmupMs: number;
  transfers: PayloadClientStats;
}

async function reply<T>(child: ChildProcess): Promise<T> {
  const [message] = await once(child, 'message');
  return message as T;
}

async function transfer(rows: number, batches: number, warmup: number): Promise<Transfer> {
  const producer = fork(WORKER, ['producer', String(rows), String(warmup + batches)]);
  const consumer = fork(WORKER, ['consumer']);
  try {
    const { refs } = await reply<{ refs: PayloadRef[] }>(producer);
    consumer.send({ refs, warmup });
    return await reply<Transfer>(consumer);
  } finally {
    producer.send('exit');
    await Promise.all([once(producer, 'exit'), consumer.exitCode === null ? once(consumer, 'exit') : undefined]);
  }
}

/** Copies `bytes` bytes in chunks of `chunk` bytes with Buffer.copy; milliseconds. */
function memcpy(bytes: number, chunk: number): number {
  const source = Buffer.alloc(chunk, 7);
  const target = Buffer.allocUnsafe(chunk);
  source.copy(target);
  const started = performance.now();
  for (let done = 0; done < bytes; done += chunk) source.copy(target);
  return performance.now() - started;
}

export async function runDataplaneBenchmark(args: string[]): Promise<number> {
  const rows = Number(args[0] ?? 1_000_000);
  const batches = Number(args[1] ?? 16);
  const warmup = Number(args[2] ?? 8);
  const mib = (bytes: number, ms: number) => bytes / (1 << 20) / (ms / 1000);
  let best: Transfer | undefined;
  let bestCopyMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const moved = await transfer(rows, batches, warmup);
    if (!best || moved.ms < best.ms) best = moved;
    bestCopyMs = Math.min(bestCopyMs, memcpy(moved.bytes, moved.bytes / batches));
  }
  const dataPlane = mib(best!.bytes, best!.ms);
  const copy = mib(best!.bytes, bestCopyMs);
  console.log(`${batches} batches of ${rows} rows x 4 float64 columns (${(best!.bytes / batches / (1 << 20)).toFixed(0)} MiB each); best of 3 runs each`);
  console.log(`Buffer.copy in one process:            ${copy.toFixed(0)} MiB/s`);
  const { sharedMemory, socket } = best!.transfers;
  console.log(`data plane, forked process to process: ${dataPlane.toFixed(0)} MiB/s (${best!.rows} rows in ${best!.ms.toFixed(0)} ms, after ${warmup} warm-up batches in ${best!.warmupMs.toFixed(0)} ms)`);
  console.log(`  payloads through shared memory: ${sharedMemory}, through the socket: ${socket}`);
  const ratio = dataPlane / copy;
  console.log(`dataplane ratio=${ratio.toFixed(3)}`);
  return ratio;
}
