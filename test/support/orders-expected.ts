import { readFile } from 'node:fs/promises';
import type { Order } from '../../workflows/simple_etl/sample-orders.js';

export type PricedOrder = Order & { total: number };

/** What simple_etl must output, computed straight from its input file: each order's total in cents, rounded, over `minTotal`. */
export async function expectedOrders(input: string, minTotal: number): Promise<PricedOrder[]> {
  const orders = (await readFile(input, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Order);
  return orders
    .map((o) => ({ ...o, total: Math.round(o.price * o.qty * 100) / 100 }))
    .filter((o) => o.total > minTotal)
    .sort((a, b) => a.order_id - b.order_id);
}
