import type { SplitPayload } from '../lib/split-payload.js';
import type { PayloadRef } from './payload-ref.js';

/**
 * Holds payloads between the worker that produced them and the workers that
 * read them. Bulk data stays here; only {@link PayloadRef}s travel in actor
 * messages.
 */
export interface PayloadStore {
  readonly storeId: string;
  /** Keeps `payload` until it has been taken `readers` times. */
  put(payload: SplitPayload, readers: number): PayloadRef;
  /** Reads a payload once; the last of its readers frees it. */
  take(ref: PayloadRef): Promise<SplitPayload>;
  /**
   * Reads a payload and keeps it held for this reader until it says it is
   * `done`: a reader lost before then can be replaced and read it again.
   */
  read(ref: PayloadRef): Promise<SplitPayload>;
  /** A reader that `read` a payload is done with it; the last of its readers frees it. */
  done(ref: PayloadRef): void;
  /** Frees a payload that will not be read (a failed or stopped job). */
  discard(ref: PayloadRef): void;
  /** Payloads held now. */
  readonly size: number;
}
