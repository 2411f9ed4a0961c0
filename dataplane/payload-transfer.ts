import type { SplitPayload } from '../lib/split-payload.js';

/**
 * How a payload's bytes reach a reader in another process (thread, host):
 * read from the payload server's socket (Unix or TCP), or mapped from the
 * producer's shared memory (same host).
 */
export type PayloadTransport = 'socket' | 'sharedMemory';

/** What crossed for one payload: the bytes of its Arrow IPC stream, and how. */
export interface PayloadTransfer {
  transport: PayloadTransport;
  bytes: number;
}

/** Bytes that crossed, by transport. */
export type TransferredBytes = Record<PayloadTransport, number>;

/** A payload as its reader got it; `transfer` is absent when the reader's own process held it (passed by reference, nothing crossed). */
export interface FetchedPayload {
  payload: SplitPayload;
  transfer?: PayloadTransfer;
}
