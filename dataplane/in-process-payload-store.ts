import { randomUUID } from 'node:crypto';
import { SolsticeError } from '../lib/errors.js';
import type { SplitPayload } from '../lib/split-payload.js';
import type { PayloadRef } from './payload-ref.js';
import type { PayloadStore } from './payload-store.js';

interface Entry {
  payload: SplitPayload;
  readersLeft: number;
}

/**
 * The store for actors that share one process: payloads are handed over by
 * reference, with no copy and no serialization.
 */
export class InProcessPayloadStore implements PayloadStore {
  readonly storeId = `proc-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly entries = new Map<string, Entry>();
  private nextId = 0;

  put(payload: SplitPayload, readers: number): PayloadRef {
    const id = String(this.nextId++);
    if (readers > 0) this.entries.set(id, { payload, readersLeft: readers });
    return { store: this.storeId, id, splitId: payload.splitId, rows: payload.numRows };
  }

  async take(ref: PayloadRef): Promise<SplitPayload> {
    const entry = this.entries.get(ref.id);
    if (ref.store !== this.storeId || !entry) {
      throw new SolsticeError(`Payload ${ref.store}/${ref.id} of split '${ref.splitId}' is not held by this process (store ${this.storeId})`);
    }
    if (--entry.readersLeft === 0) this.entries.delete(ref.id);
    return entry.payload;
  }

  discard(ref: PayloadRef): void {
    if (ref.store === this.storeId) this.entries.delete(ref.id);
  }

  get size(): number {
    return this.entries.size;
  }
}

let processStore: InProcessPayloadStore | undefined;

/** The payload store of this process, shared by every actor that runs in it. */
export function processPayloadStore(): InProcessPayloadStore {
  processStore ??= new InProcessPayloadStore();
  return processStore;
}
