import { RecordBatchStreamWriter, tableFromIPC } from 'apache-arrow';
import { SplitPayload } from '../lib/split-payload.js';

/**
 * A payload as an Arrow IPC stream, in pieces: what crosses thread, process
 * and host boundaries. The pieces are the message headers and views of the
 * table's own buffers; Arrow's `tableToIPC` would join them into one array,
 * a copy that costs more than the transfer itself (about 300 MB/s).
 */
export function payloadToIpcChunks(payload: SplitPayload): Uint8Array[] {
  const writer = new RecordBatchStreamWriter();
  writer.writeAll(payload.toTable());
  // The writer's queue is filled synchronously; reading it back without awaiting keeps the pieces as they are.
  return (writer as unknown as { _sink: { _values: Uint8Array[] } })._sink._values;
}

/** Reads a payload back from IPC bytes; the table's columns point into `bytes` (no copy). */
export function payloadFromIpc(bytes: Uint8Array, splitId: string): SplitPayload {
  return SplitPayload.fromTable(tableFromIPC(bytes), splitId);
}
