/**
 * Conversions between plain row objects and Arrow tables. Hot paths build
 * column buffers directly (typed arrays, one UTF-8 buffer per string column)
 * instead of going through Arrow's generic builders.
 */
import {
  Bool, DataType, Float64, Int64, Null, Schema, Table, TimestampMillisecond, Type, Utf8,
  makeData, makeVector, vectorFromArray, type Vector,
} from 'apache-arrow';
import { SolsticeError, registerErrorClass } from './errors.js';

export type Row = Record<string, unknown>;

/** Rows whose values in one column cannot share an Arrow type. */
export class SchemaInferenceError extends SolsticeError {
  override readonly name: string = 'SchemaInferenceError';
}

registerErrorClass('SchemaInferenceError', SchemaInferenceError);

/**
 * Builds a table from rows. Columns named in `hint` keep the hint's type (so a
 * map over an int32 column stays int32); other columns are inferred: numbers as
 * float64, strings as utf8, booleans, bigints as int64, Dates as timestamps,
 * anything else (objects, arrays) as Arrow infers it.
 */
export function rowsToTable(rows: readonly Row[], hint?: Schema): Table {
  const names = columnNames(rows);
  if (names.length === 0) return new Table(new Schema([]));
  const hinted = new Map(hint?.fields.map((f) => [f.name, f]) ?? []);
  const columns: Record<string, Vector> = {};
  for (const name of names) {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = rows[i]![name];
    const hintField = hinted.get(name);
    columns[name] = hintField && fitsType(values, hintField.type)
      ? vectorFromArray(values, hintField.type)
      : inferVector(name, values);
  }
  return new Table(columns);
}

/** Rows of a table as plain objects (not proxies), one object per row. */
export function tableToRows(table: Table): Row[] {
  const n = table.numRows;
  const rows = new Array<Row>(n);
  for (let i = 0; i < n; i++) rows[i] = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name)!;
    const values = columnValues(vector);
    const name = field.name;
    for (let i = 0; i < n; i++) rows[i]![name] = values[i];
  }
  return rows;
}

function columnValues(vector: Vector): ArrayLike<unknown> {
  if (vector.nullCount === 0 && isPrimitiveNumeric(vector.type)) return vector.toArray() as ArrayLike<unknown>;
  const out = new Array<unknown>(vector.length);
  let i = 0;
  for (const value of vector) out[i++] = plainValue(value);
  return out;
}

function isPrimitiveNumeric(type: DataType): boolean {
  return type.typeId === Type.Int || type.typeId === Type.Float;
}

function plainValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'toJSON' in value && typeof value.toJSON === 'function') {
    return (value as { toJSON(): unknown }).toJSON();
  }
  return value;
}

/** Every key that any row has, in order of first appearance. */
export function columnNames(rows: readonly Row[]): string[] {
  const names = new Set<string>();
  for (const row of rows) {
    for (const key in row) if (!names.has(key)) names.add(key);
  }
  return [...names];
}

type InferredKind = 'null' | 'number' | 'string' | 'boolean' | 'bigint' | 'date' | 'other';

function kindOf(value: unknown): InferredKind {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number': return 'number';
    case 'string': return 'string';
    case 'boolean': return 'boolean';
    case 'bigint': return 'bigint';
    default: return value instanceof Date ? 'date' : 'other';
  }
}

function inferVector(name: string, values: unknown[]): Vector {
  let kind: InferredKind = 'null';
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    const k = kindOf(values[i]);
    if (k === 'null') { nulls++; continue; }
    if (kind === 'null') { kind = k; continue; }
    if (k !== kind) {
      throw new SchemaInferenceError(
        `Column '${name}' mixes ${kind} and ${k} values (row ${i + 1} holds ${JSON.stringify(String(values[i]))}); ` +
        'give every row the same type in this column',
      );
    }
  }
  switch (kind) {
    case 'null': return makeVector(makeData({ type: new Null(), length: values.length, nullCount: values.length }));
    case 'number': return nulls === 0 ? float64Vector(values as number[]) : vectorFromArray(values, new Float64());
    case 'string': return utf8Vector(values as (string | null | undefined)[], nulls);
    case 'boolean': return vectorFromArray(values, new Bool());
    case 'bigint': return vectorFromArray(values, new Int64());
    case 'date': return vectorFromArray(values, new TimestampMillisecond());
    case 'other': return vectorFromArray(values);
  }
}

function fitsType(values: unknown[], type: DataType): boolean {
  const expected = expectedKind(type);
  if (expected === undefined) return false;
  for (const value of values) {
    const k = kindOf(value);
    if (k !== 'null' && k !== expected) return false;
    if (k === 'number' && type.typeId === Type.Int && !Number.isInteger(value)) return false;
  }
  return true;
}

function expectedKind(type: DataType): InferredKind | undefined {
  switch (type.typeId) {
    case Type.Float: return 'number';
    case Type.Int: return (type as unknown as { bitWidth: number }).bitWidth === 64 ? 'bigint' : 'number';
    case Type.Utf8: return 'string';
    case Type.Bool: return 'boolean';
    default: return undefined;
  }
}

function float64Vector(values: number[]): Vector {
  return makeVector(Float64Array.from(values));
}

function utf8Vector(values: (string | null | undefined)[], nullCount: number): Vector {
  const n = values.length;
  let byteLength = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v != null) byteLength += Buffer.byteLength(v, 'utf8');
  }
  const data = Buffer.allocUnsafe(byteLength);
  const valueOffsets = new Int32Array(n + 1);
  const nullBitmap = nullCount > 0 ? new Uint8Array((n + 7) >> 3) : undefined;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v != null) {
      offset += data.write(v, offset, 'utf8');
      if (nullBitmap) nullBitmap[i >> 3]! |= 1 << (i & 7);
    }
    valueOffsets[i + 1] = offset;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return makeVector(makeData({ type: new Utf8(), length: n, nullCount, nullBitmap, valueOffsets, data: bytes }));
}

