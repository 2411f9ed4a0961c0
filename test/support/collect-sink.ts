import { SinkOperator, type Row, type Split, type SplitPayload } from '../../lib/index.js';

/** What each CollectSink took, by the `name` in its config, in this test process (in-process workers only). */
export const collected = new Map<string, Row[]>();

/** A sink that keeps every row it takes in {@link collected}, under its config's `name`. */
export class CollectSink extends SinkOperator<{ name: string }> {
  processSplit(_split: Split, payload?: SplitPayload): null {
    const rows = collected.get(this.config.name) ?? [];
    rows.push(...(payload?.toRows() ?? []));
    collected.set(this.config.name, rows);
    return null;
  }
}
