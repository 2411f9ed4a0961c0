import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { SplitPayload } from '../lib/split-payload.js';

/** A payload as an Arrow IPC stream: what crosses thread, process and host boundaries. */
export function payloadToIpc(payload: SplitPayload): Uint8Array {
  return tableToIPC(payload.toTable(), 'stream');
}

/** Reads a payload back from IPC bytes; the table's columns point into `bytes` (no copy). */
export function payloadFromIpc(bytes: Uint8Array, splitId: string): SplitPayload {
  return SplitPayload.fromTable(tableFromIPC(bytes), splitId);
}
