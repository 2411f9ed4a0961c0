import { existsSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One row of the sample data set. */
export interface Order {
  order_id: number;
  customer: string;
  product: string;
  price: number;
  qty: number;
}

const PRODUCTS = ['lamp', 'desk', 'chair', 'monitor', 'keyboard', 'mouse', 'cable', 'dock', 'headset', 'webcam'];

/** A small seeded PRNG (mulberry32), so the same seed always gives the same orders. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The `index`-th of `rows` deterministic orders, all from one generator. */
export function* sampleOrders(rows: number, seed = 42): Generator<Order> {
  const next = seededRandom(seed);
  for (let i = 0; i < rows; i++) {
    yield {
      order_id: i + 1,
      customer: `customer-${Math.floor(next() * 5000)}`,
      product: PRODUCTS[Math.floor(next() * PRODUCTS.length)]!,
      price: Math.round(next() * 5000) / 100,
      qty: 1 + Math.floor(next() * 10),
    };
  }
}

/** Writes `rows` sample orders as JSON lines to `path` unless the file is there already. */
export async function ensureSampleOrders(path: string, rows: number): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  try {
    let chunk = '';
    for (const order of sampleOrders(rows)) {
      chunk += `${JSON.stringify(order)}\n`;
      if (chunk.length > 1 << 20) {
        await file.write(chunk);
        chunk = '';
      }
    }
    await file.write(chunk);
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}
