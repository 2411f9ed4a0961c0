/**
 * Bad records made on the way: row functions that throw or return what is no
 * row, a batch function that returns no table, an operator that hangs, and
 * rows a sink cannot write (or can: BigInt, Date and nested values, a split
 * whose schema differs from the previous ones').
 */
import {
  ColumnValueError, FilterOperator, FlatMapOperator, KeyByOperator, MapOperator, Operator, OperatorError, RowFunctionError, SchemaInferenceError,
  SplitTimeoutError, WithColumnsOperator, type Row, type Split, type SplitPayload,
} from '../../lib/index.js';
import {
  fileOf, goodRow, parquetOf, pipeline, range, rowLetter, writeLineFiles, type BadInputCase, type CaseInput, type ExpectedError, type StageSpec,
} from './case.js';

/** A row function's error fails its split: OperatorError, the RowFunctionError naming the row as its cause. */
const rowFunctionFails = (message: RegExp): ExpectedError => ({ error: OperatorError, cause: RowFunctionError, message });

/** One JSON lines file of rows 0 to `count`, one split: a row's place in it is its id + 1. */
async function rows(dir: string, count: number): Promise<CaseInput> {
  return await writeLineFiles(dir, { format: 'jsonl', files: 1, rowsPerFile: count, name: 'rows.jsonl' });
}

/**
 * The input of a case whose function throws on the rows `isBad` picks: the
 * others come out as `out` maps them, each bad row is a dead letter of
 * `stage`, the `id + 1`-th row of the file's one split.
 */
async function rowsWithBadOnes(dir: string, count: number, stage: string, isBad: (id: number) => boolean, message: RegExp, out: (id: number) => Row | undefined = goodRow): Promise<CaseInput> {
  const input = await rows(dir, count);
  const ids = range(0, count);
  return {
    source: input.source,
    good: ids.filter((id) => !isBad(id)).map(out).filter((row): row is Row => row !== undefined),
    bad: ids.filter(isBad).map((id) => rowLetter(stage, id, id + 1, 'RowFunctionError', message)),
  };
}

/** Every row of files of 20 rows (one split each), the whole second file's rows set aside by `stage` with `error`. */
async function secondFileSetAside(dir: string, stage: string, error: string, message: RegExp, out: (id: number) => Row, record: (id: number) => Row = goodRow): Promise<CaseInput> {
  const input = await writeLineFiles(dir, { format: 'jsonl', files: 3, rowsPerFile: 20 });
  const inSecond = (id: number) => id >= 20 && id < 40;
  return {
    source: input.source,
    good: range(0, 60).filter((id) => !inSecond(id)).map(out),
    bad: range(20, 40).map((id) => rowLetter(stage, id, id - 19, error, message, record(id))),
  };
}

const one = (spec: StageSpec) => ({ stages: [spec] });

/** Awaits forever on the split holding row `id` (a service that never answers); see dead-letters.test.ts for the split timeouts at length. */
class HangOnRow extends Operator<{ id: number }> {
  async processSplit(_split: Split, payload?: SplitPayload): Promise<SplitPayload | null> {
    if (payload?.toRows().some((row) => row.id === this.config.id)) await new Promise(() => undefined);
    return payload ?? null;
  }
}

/** Row `id` with BigInt, Date and nested values, for the sinks to write. */
function richRow(row: Row): Row {
  const id = Number(row.id);
  return { id, big: BigInt(id) * 10n ** 15n, when: new Date(Date.UTC(2024, 0, 1 + id)), nested: { tags: [row.name], price: row.price } };
}

const RICH_IDS = range(0, 12);
const isoDay = (id: number) => new Date(Date.UTC(2024, 0, 1 + id)).toISOString();

export const operatorCases: BadInputCase[] = [
  {
    name: 'a row function that throws on one row',
    input: (dir) => rowsWithBadOnes(dir, 100, 'check', (id) => id === 42, /^row 43 \(\{"id":42,"name":"n42","price":10\.5\}\): refusing id 42$/),
    job: (run) => pipeline(run, one({
      name: 'check', operator: MapOperator, parallelism: 2,
      config: { fn: (row: Row) => { if (row.id === 42) throw new Error('refusing id 42'); return row; } },
    })),
    fails: () => ({ ...rowFunctionFails(/^Stage 'check' failed on split 'check\/source-00000': row 43 \(\{"id":42,"name":"n42","price":10\.5\}\): refusing id 42$/), fields: { row: 43 } }),
    cli: {
      stderr: () => [/OperatorError: Stage 'check' failed on split 'check\/source-00000': row 43 \(\{"id":42,"name":"n42","price":10\.5\}\): refusing id 42/, /caused by RowFunctionError/],
    },
  },
  {
    name: 'a map fn that returns an array instead of a row',
    input: (dir) => rowsWithBadOnes(dir, 60, 'map', (id) => id % 25 === 7, /MapOperator fn must return a row \(an object\), got an array$/),
    job: (run) => pipeline(run, one({ name: 'map', operator: MapOperator, config: { fn: (row: Row) => (Number(row.id) % 25 === 7 ? [row.id] : row) } })),
    fails: () => rowFunctionFails(/row 8 \(.*\): MapOperator fn must return a row \(an object\), got an array/),
  },
  {
    name: 'a map fn that returns a promise (an async function)',
    input: (dir) => rowsWithBadOnes(dir, 60, 'map', (id) => id % 30 === 11, /MapOperator fn must return a row \(an object\), got a promise \(row functions run synchronously; do asynchronous work in a batchFn\)/),
    job: (run) => pipeline(run, one({ name: 'map', operator: MapOperator, config: { fn: (row: Row) => (Number(row.id) % 30 === 11 ? Promise.resolve(row) : row) } })),
    fails: () => rowFunctionFails(/got a promise/),
  },
  {
    name: 'a flat map fn that yields values that are not rows',
    input: (dir) => rowsWithBadOnes(dir, 60, 'explode', (id) => id % 20 === 3, /FlatMapOperator fn must yield rows \(objects\), got \d+$/),
    // A row's output is all or nothing: the row it yields alongside the number is set aside with it.
    job: (run) => pipeline(run, one({ name: 'explode', operator: FlatMapOperator, config: { fn: (row: Row) => (Number(row.id) % 20 === 3 ? [row, row.id] : [row]) } })),
    fails: () => rowFunctionFails(/FlatMapOperator fn must yield rows \(objects\), got 3/),
  },
  {
    name: 'a filter fn that returns no boolean (it forgot to return)',
    input: (dir) => rowsWithBadOnes(dir, 60, 'keep', (id) => id % 9 === 4, /FilterOperator fn must return true or false, got undefined \(did it forget to return\?\)/,
      (id) => (id % 2 === 0 ? goodRow(id) : undefined)),
    job: (run) => pipeline(run, one({
      name: 'keep', operator: FilterOperator,
      config: { fn: (row: Row) => { const id = Number(row.id); if (id % 9 === 4) return undefined as never; return id % 2 === 0; } },
    })),
    fails: () => rowFunctionFails(/FilterOperator fn must return true or false, got undefined/),
  },
  {
    name: 'a key function that returns an object instead of a key',
    input: (dir) => rowsWithBadOnes(dir, 50, 'key', (id) => id % 10 === 6, /KeyByOperator fn must return a key \(a string, number, boolean or bigint\), got \{"id":\d+\}/,
      (id) => ({ ...goodRow(id), _key: id })),
    job: (run) => pipeline(run, one({ name: 'key', operator: KeyByOperator, config: { fn: (row: Row) => (Number(row.id) % 10 === 6 ? { id: row.id } : row.id) as never } })),
    fails: () => rowFunctionFails(/KeyByOperator fn must return a key .*got \{"id":6\}/),
  },
  {
    name: 'a column function that throws, over Parquet (Arrow) rows',
    input: async (dir) => {
      const ids = range(0, 64);
      const bad = (id: number) => id % 16 === 9;
      return {
        source: await fileOf(dir, 'rows.parquet', parquetOf(ids)),
        good: ids.filter((id) => !bad(id)).map((id) => ({ ...goodRow(id), total: id * 0.5 })),
        bad: ids.filter(bad).map((id) => rowLetter('total', id, id + 1, 'RowFunctionError', new RegExp(`no total for ${id}$`))),
      };
    },
    job: (run) => pipeline(run, one({
      name: 'total', operator: WithColumnsOperator,
      config: { columns: { total: (row: Row) => { if (Number(row.id) % 16 === 9) throw new Error(`no total for ${String(row.id)}`); return Number(row.price) * 2; } } },
    })),
    fails: () => rowFunctionFails(/row 10 \(\{"id":9,"name":"n9","price":2\.25\}\): no total for 9/),
  },
  {
    name: 'a column function that returns a promise for some rows',
    input: (dir) => rowsWithBadOnes(dir, 40, 'total', (id) => id % 13 === 5,
      /WithColumnsOperator column 'total' must return a value, got a promise \(row functions run synchronously/, (id) => ({ ...goodRow(id), total: id * 0.5 })),
    job: (run) => pipeline(run, one({
      name: 'total', operator: WithColumnsOperator,
      config: { columns: { total: (row: Row) => (Number(row.id) % 13 === 5 ? Promise.resolve(0) : Number(row.price) * 2) } },
    })),
    fails: () => rowFunctionFails(/row 6 \(.*\): WithColumnsOperator column 'total' must return a value, got a promise/),
  },
  {
    name: 'a batch function that returns rows, not an Arrow table: its whole split is set aside',
    input: (dir) => secondFileSetAside(dir, 'batch', 'TypeError', /^MapOperator batchFn must return an Arrow Table, got an array$/, goodRow),
    job: (run) => pipeline(run, one({
      name: 'batch', operator: MapOperator,
      config: { batchFn: (table: import('apache-arrow').Table) => (Number(table.getChild('id')!.get(0)) === 20 ? table.toArray() as never : table) },
    })),
    fails: () => ({ error: OperatorError, cause: TypeError, message: /^Stage 'batch' failed on split '.*': MapOperator batchFn must return an Arrow Table, got an array$/ }),
  },
  {
    name: 'an operator that hangs on a split past its splitTimeoutSecs: the split is set aside',
    input: (dir) => secondFileSetAside(dir, 'hang', 'SplitTimeoutError', /ran on split '.*' for more than its splitTimeoutSecs \(1 s\)/, goodRow),
    job: (run) => pipeline(run, one({ name: 'hang', operator: HangOnRow, config: { id: 25 }, options: { splitTimeoutSecs: 1, chain: false } })),
    fails: () => ({ error: OperatorError, cause: SplitTimeoutError, message: /for more than its splitTimeoutSecs \(1 s\)/, fields: { stage: 'hang', timeoutSecs: 1 } }),
  },
  {
    name: 'a column whose values change type within a split, written as Parquet: the sink sets the split aside',
    input: async (dir) => {
      const input = await writeLineFiles(dir, { format: 'jsonl', files: 2, rowsPerFile: 20, bad: (id) => (id === 27 ? '{"id":27,"name":"n27","price":"cheap"}' : undefined) });
      const message = /^Column 'price' mixes number and string values \(row 8 holds "cheap"\)/;
      return {
        source: input.source,
        good: range(0, 20).map(goodRow),
        bad: range(20, 40).map((id) => rowLetter('sink', id, id - 19, 'SchemaInferenceError', message, id === 27 ? { ...goodRow(27), price: 'cheap' } : goodRow(id))),
      };
    },
    job: (run) => pipeline(run, { sink: 'parquet' }),
    sink: 'parquet',
    fails: () => ({ error: OperatorError, cause: SchemaInferenceError, message: /Column 'price' mixes number and string values \(row 8 holds "cheap"\)/, fields: { column: 'price', row: 8 } }),
  },
  {
    name: 'a row value that holds itself: its split is set aside, naming the column',
    input: (dir) => secondFileSetAside(dir, 'link', 'ColumnValueError', /column 'self' holds .*an object or array that holds itself/, (id) => ({ ...goodRow(id), self: null })),
    job: (run) => pipeline(run, one({
      name: 'link', operator: MapOperator,
      config: { fn: (row: Row) => { const out: Row = { ...row, self: null }; if (row.id === 33) out.self = out; return out; } },
    })),
    fails: () => ({ error: OperatorError, cause: ColumnValueError, message: /Row 14 .*column 'self' holds .*an object or array that holds itself/, fields: { column: 'self', row: 14 } }),
  },
  {
    name: "a split whose rows have another schema than the previous splits', written as Parquet (a file each, with its own)",
    input: async (dir) => {
      const input = await writeLineFiles(dir, { format: 'jsonl', files: 2, rowsPerFile: 20 });
      return { source: input.source, good: range(0, 40).map((id) => ({ id, v: id < 20 ? id * 0.25 : `p${id}` })), bad: [] };
    },
    job: (run) => pipeline(run, { ...one({ name: 'reshape', operator: MapOperator, config: { fn: (row: Row) => ({ id: row.id, v: Number(row.id) < 20 ? row.price : `p${String(row.id)}` }) } }), sink: 'parquet' }),
    sink: 'parquet',
  },
  {
    name: 'BigInt, Date and nested values, written as JSON lines',
    input: async (dir) => ({
      source: (await rows(dir, RICH_IDS.length)).source,
      // A bigint is the JSON number it is, every digit (past 2^53 from id 10 on, and still exact as a double here); a
      // Date its ISO 8601 text.
      good: RICH_IDS.map((id) => ({ id, big: id * 1e15, when: isoDay(id), nested: { tags: [`n${id}`], price: id * 0.25 } })),
      bad: [],
    }),
    job: (run) => pipeline(run, one({ name: 'enrich', operator: MapOperator, config: { fn: richRow } })),
  },
  {
    name: 'BigInt, Date and nested values, written as CSV',
    input: async (dir) => ({
      source: (await rows(dir, RICH_IDS.length)).source,
      // Text, as a CSV reader without types sees it: a Date in ISO 8601, as JSON lines write it; nested values as JSON.
      good: RICH_IDS.map((id) => ({ id: `${id}`, big: id === 0 ? '0' : `${id}000000000000000`, when: isoDay(id), nested: JSON.stringify({ tags: [`n${id}`], price: id * 0.25 }) })),
      bad: [],
    }),
    job: (run) => pipeline(run, { ...one({ name: 'enrich', operator: MapOperator, config: { fn: richRow } }), sink: 'csv' }),
    sink: 'csv',
  },
  {
    name: 'BigInt, Date and nested values, written as Parquet',
    input: async (dir) => ({
      source: (await rows(dir, RICH_IDS.length)).source,
      // As hyparquet reads them back: INT64 as bigints, a timestamp as a Date, a struct as an object.
      good: RICH_IDS.map((id) => ({ id, big: BigInt(id) * 10n ** 15n, when: new Date(Date.UTC(2024, 0, 1 + id)), nested: { tags: [`n${id}`], price: id * 0.25 } })),
      bad: [],
    }),
    job: (run) => pipeline(run, { ...one({ name: 'enrich', operator: MapOperator, config: { fn: richRow } }), sink: 'parquet' }),
    sink: 'parquet',
  },
];
