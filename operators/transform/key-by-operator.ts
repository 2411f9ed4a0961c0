import { Table, type Vector } from 'apache-arrow';
import { inferVector, type Row } from '../../lib/arrow-rows.js';
import { OperatorConfigError, SchemaInferenceError } from '../../lib/errors/index.js';
import { Operator, type KeyedOutput, type OperatorContext } from '../../lib/operator.js';
import { RowView } from '../../lib/row-view.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { forEachIndex, forEachRow, payloadWithout } from './for-each-row.js';
import { describeValue, refuseUnknownOptions } from './transform-config.js';

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
    if (new.target === KeyByOperator) refuseUnknownOptions('KeyByOperator', config, ['fn', 'keyField']);
    if (typeof config?.fn !== 'function') throw new OperatorConfigError("KeyByOperator needs 'fn', a function from row to key");
    this.keyField = config.keyField ?? '_key';
  }

  async processSplit(split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (!payload) return null;
    const fn = this.config.fn as unknown as (row: Row) => Key;
    const keyField = this.keyField;
    const keyOf = (row: Row): Key => {
      const key = fn(row) as unknown;
      if (!KEY_TYPES.includes(typeof key)) throw new TypeError(`KeyByOperator fn must return a key (a string, number, boolean or bigint), got ${describeValue(key)}`);
      return key as Key;
    };
    // Arrow data keeps its columns: the key function reads each row through a view, and the keys become one more column.
    // Keys of mixed types make no column: those splits take the row path, as rows from JSON do.
    if (payload.arrowRows) {
      try {
        return await withKeyColumn(payload.toTable(), keyField, keyOf, split.splitId, this.context);
      } catch (error) {
        if (!(error instanceof SchemaInferenceError)) throw error;
      }
    }
    const rows = payload.toRows();
    const out: Row[] = [];
    await forEachRow(rows, (row) => out.push({ ...row, [keyField]: keyOf(row) }), this.context);
    return SplitPayload.fromRows(out, split.splitId, payload.knownSchema);
  }
}

const KEY_TYPES: readonly string[] = ['string', 'number', 'boolean', 'bigint'];

/** `table` with the key of each row in column `keyField`: in its place if the table has one, else last. */
async function withKeyColumn(table: Table, keyField: string, keyOf: (row: Row) => Key, splitId: string, context: OperatorContext): Promise<SplitPayload> {
  const view = new RowView(table);
  const keys = new Array<Key | null>(table.numRows);
  const bad = await forEachIndex(table.numRows, (i) => {
    keys[i] = keyOf(view.at(i));
  }, (i) => ({ ...view.at(i) }), context);
  // A row set aside has no key; it is left out below.
  for (const i of bad) keys[i] = null;
  const columns: Record<string, Vector> = {};
  for (const field of table.schema.fields) columns[field.name] = field.name === keyField ? inferVector(keyField, keys) : table.getChild(field.name)!;
  columns[keyField] ??= inferVector(keyField, keys);
  return payloadWithout(new Table(columns), bad, splitId);
}
