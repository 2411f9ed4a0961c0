import { Operator, type FinishingOperator, type KeyGroupedState, type OperatorContext, type StatefulOperator } from '../../lib/operator.js';
import type { Row } from '../../lib/arrow-rows.js';
import { ColumnValueError, OperatorConfigError, RowFunctionError } from '../../lib/errors/index.js';
import type { Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';

/** One output column of an aggregation. */
export type Aggregation =
  | { op: 'count' }
  | { op: 'sum' | 'min' | 'max'; field: string }
  | { op: 'reduce'; initial: unknown; fn: (accumulator: any, row: Row) => unknown };

export interface AggregateConfig {
  /** The column holding the key (what KeyByOperator added). Default `_key`. */
  keyField?: string;
  /** Output columns by name. */
  aggregations: Record<string, Aggregation>;
}

interface Group {
  key: unknown;
  values: unknown[];
}

/**
 * Per-key reductions after a KeyByOperator: count, sum, min, max and a user
 * reduce function. It keeps one group per key, checkpoints the groups by key
 * group (the partition of its keyed input: a restore may spread them over
 * another number of workers), and emits one row per key (`keyField` plus the
 * aggregations) when its input ends.
 * A row without a key, or with a non-number to sum, fails the split with a
 * ColumnValueError; a reduce function that throws, with a RowFunctionError.
 */
export class AggregateOperator extends Operator<AggregateConfig> implements StatefulOperator, FinishingOperator {
  static readonly keyGroupedState = true;
  private readonly keyColumn: string;
  private readonly names: string[];
  private readonly aggregations: Aggregation[];
  /** The groups of each key group (the partition of the input split; -1 for unpartitioned input). */
  private keyGroups = new Map<number, Map<string, Group>>();

  constructor(config: AggregateConfig, context: OperatorContext) {
    super(config, context);
    if (!config?.aggregations || Object.keys(config.aggregations).length === 0) {
      throw new OperatorConfigError("AggregateOperator needs 'aggregations', e.g. { n: { op: 'count' } }");
    }
    this.keyColumn = config.keyField ?? '_key';
    this.names = Object.keys(config.aggregations);
    this.aggregations = Object.values(config.aggregations);
    for (const [name, aggregation] of Object.entries(config.aggregations)) validate(name, aggregation);
  }

  processSplit(split: Split, payload?: SplitPayload): null {
    if (!payload) return null;
    const keyGroup = split.partition ?? -1;
    let groups = this.keyGroups.get(keyGroup);
    if (!groups) {
      groups = new Map();
      this.keyGroups.set(keyGroup, groups);
    }
    const into = groups;
    payload.toRows().forEach((row, i) => this.add(into, row, i + 1));
    return null;
  }

  finish(split: Split): SplitPayload | null {
    const rows: Row[] = [];
    for (const group of [...this.keyGroups.values()].flatMap((groups) => [...groups.values()])) {
      const row: Row = { [this.keyColumn]: group.key };
      this.names.forEach((name, i) => (row[name] = group.values[i] ?? null));
      rows.push(row);
    }
    return rows.length === 0 ? null : SplitPayload.fromRows(rows, split.splitId);
  }

  snapshotState(): KeyGroupedState {
    const keyGroups: Record<string, unknown> = {};
    for (const [keyGroup, groups] of this.keyGroups) {
      keyGroups[keyGroup] = [...groups.values()].map((group) => [encode(group.key), group.values.map(encode)]);
    }
    return { keyGroups };
  }

  restoreState(state: unknown): void {
    this.keyGroups = new Map();
    for (const [keyGroup, saved] of Object.entries((state as KeyGroupedState).keyGroups)) {
      const groups = new Map<string, Group>();
      for (const [key, values] of saved as [unknown, unknown[]][]) {
        const decodedKey = decode(key);
        groups.set(groupId(decodedKey), { key: decodedKey, values: values.map(decode) });
      }
      this.keyGroups.set(Number(keyGroup), groups);
    }
  }

  /** Adds the `number`th row of its split (1-based) to its group. */
  private add(groups: Map<string, Group>, row: Row, number: number): void {
    const key = row[this.keyColumn];
    if (key === undefined || key === null) throw new ColumnValueError(this.keyColumn, number, 'not a key (is a KeyByOperator upstream?)', row);
    const id = groupId(key);
    let group = groups.get(id);
    if (!group) {
      group = { key, values: this.aggregations.map(initialValue) };
      groups.set(id, group);
    }
    const values = group.values;
    this.aggregations.forEach((aggregation, i) => (values[i] = step(this.names[i]!, aggregation, values[i], row, number)));
  }
}

function validate(name: string, aggregation: Aggregation): void {
  switch (aggregation?.op) {
    case 'count':
      return;
    case 'sum':
    case 'min':
    case 'max':
      if (typeof aggregation.field === 'string') return;
      throw new OperatorConfigError(`Aggregation '${name}' (${aggregation.op}) needs 'field'`);
    case 'reduce':
      if (typeof aggregation.fn === 'function') return;
      throw new OperatorConfigError(`Aggregation '${name}' (reduce) needs 'fn(accumulator, row)'`);
    default:
      throw new OperatorConfigError(`Aggregation '${name}': op must be count, sum, min, max or reduce`);
  }
}

function initialValue(aggregation: Aggregation): unknown {
  switch (aggregation.op) {
    case 'count':
    case 'sum':
      return 0;
    case 'min':
    case 'max':
      return null;
    case 'reduce':
      return structuredClone(aggregation.initial);
  }
}

/** The aggregation `name` after the `number`th row of a split. */
function step(name: string, aggregation: Aggregation, current: unknown, row: Row, number: number): unknown {
  switch (aggregation.op) {
    case 'count':
      return (current as number) + 1;
    case 'sum':
      return (current as number) + numberIn(row, aggregation.field, number, `not a number, which sum '${name}' needs`);
    case 'min': {
      const value = row[aggregation.field];
      return value === null || value === undefined ? current : current === null || (value as number) < (current as number) ? value : current;
    }
    case 'max': {
      const value = row[aggregation.field];
      return value === null || value === undefined ? current : current === null || (value as number) > (current as number) ? value : current;
    }
    case 'reduce':
      try {
        return aggregation.fn(current, row);
      } catch (error) {
        throw new RowFunctionError(number, row, error);
      }
  }
}

/** The number in `field` (a missing value counts 0). */
function numberIn(row: Row, field: string, number: number, reason: string): number {
  const value = row[field];
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number') throw new ColumnValueError(field, number, reason, row);
  return value;
}

/** Keys of different types stay apart (1 and '1' are two groups). */
function groupId(key: unknown): string {
  return `${typeof key}:${String(key)}`;
}

/** JSON for checkpoint state: bigints travel tagged. */
function encode(value: unknown): unknown {
  return typeof value === 'bigint' ? { $bigint: value.toString() } : value;
}

function decode(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$bigint' in value) return BigInt((value as { $bigint: string }).$bigint);
  return value;
}
