import { Operator, type KeyedOutput, type OperatorContext } from '../../lib/operator.js';
import type { Row } from '../../lib/arrow-rows.js';
import { OperatorConfigError } from '../../lib/errors/index.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachRow } from './for-each-row.js';

export type Key = string | number | boolean | bigint;

/** `In` is the row type `fn` sees (default: untyped rows). */
export interface KeyByConfig<In extends object = Row> {
  /** Computes a row's key. */
  fn: (row: In) => Key;
  /** The column the key is stored in. Default `_key`. */
  keyField?: string;
}

/**
 * Adds the key column and lets the runtime route every row by the key's hash,
 * so that all rows of one key meet one worker of each downstream stage.
 */
export class KeyByOperator<In extends object = Row> extends Operator<KeyByConfig<In>> implements KeyedOutput {
  static readonly keyedOutput = true;
  readonly keyField: string;

  constructor(config: KeyByConfig<In>, context: OperatorContext) {
    super(config, context);
    if (typeof config?.fn !== 'function') throw new OperatorConfigError("KeyByOperator needs 'fn', a function from row to key");
    this.keyField = config.keyField ?? '_key';
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    const fn = this.config.fn as unknown as (row: Row) => Key;
    const keyField = this.keyField;
    const rows = payload.toRows();
    const out: Row[] = [];
    await forEachRow(rows, (row) => {
      const key = fn(row);
      if (key === null || key === undefined) throw new Error(`key function returned ${key}`);
      out.push({ ...row, [keyField]: key });
    });
    return SplitPayload.fromRows(out, split.splitId, payload.knownSchema);
  }
}
