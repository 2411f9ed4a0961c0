import { stringifyJsonExact } from '../../formats/exact-json.js';
import { SinkOperator } from '../../lib/operator.js';
import type { Split } from '../../lib/split.js';
import type { SplitPayload } from '../../lib/split-payload.js';

export interface PrintSinkConfig {
  /** Print at most this many rows of each split. Default: all. */
  maxRowsPerSplit?: number;
  /** Where to print. Default: process.stdout. */
  stream?: NodeJS.WritableStream;
}

/** Prints each row as one JSON line prefixed with its split id, for debugging. */
export class PrintSink extends SinkOperator<PrintSinkConfig> {
  processSplit(split: Split, payload?: SplitPayload): null {
    if (!payload) return null;
    const out = this.config?.stream ?? process.stdout;
    const rows = payload.toRows();
    const limit = Math.min(rows.length, this.config?.maxRowsPerSplit ?? rows.length);
    const lines: string[] = [];
    for (let i = 0; i < limit; i++) lines.push(`${split.splitId}\t${stringifyJsonExact(rows[i])}`);
    if (limit < rows.length) lines.push(`${split.splitId}\t... ${rows.length - limit} more rows`);
    if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
    return null;
  }
}
