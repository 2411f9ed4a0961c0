/**
 * Conversions between plain row objects and Arrow tables. Hot paths build
 * column buffers directly (typed arrays, one UTF-8 buffer per string column)
 * instead of going through Arrow's generic builders.
 */
import {
  Binary, Bool, DataType, Field, Float64, Int64, List, Null, Struct, Schema, Table, TimestampMillisecond, Type, Utf8,
  makeData, makeVector, vectorFromArray, type Vector,
} from 'apache-arrow';
import { ColumnValueError, SchemaInferenceError } from './errors/index.js';

export type Row = Record<string, unknown>;

/**
 * Builds a table from rows. Columns named in `hint` keep the hint's type (so a
 * map over an int32 column stays int32); other columns are inferred: numbers as
 * float64, strings as utf8, booleans, bigints as int64, Dates as timestamps,
 * arrays and objects as lists and structs of these, one type per column.
 *
 * `base` is the table the rows were mapped from, one row per row, with the
 * values its rows were given: a column whose every value is the base's value
 * at the same row (the same primitive by Object.is, as `{ ...row, total }`
 * copies it) is the base table's column, taken as it is instead of encoded
 * again. Objects and arrays never count as copied: a row function may have
 * changed them in place.
 */
export function rowsToTable(rows: readonly Row[], hint?: Schema, base?: RowsBase): Table {
  const names = columnNames(rows);
  if (names.length === 0) return new Table(new Schema([]));
  const hinted = new Map(hint?.fields.map((f) => [f.name, f]) ?? []);
  const sameRows = base !== undefined && base.table.numRows === rows.length;
  const columns: Record<string, Vector> = {};
  for (const name of names) {
    const values = new Array<unknown>(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = rows[i]![name];
    const baseValues = sameRows ? base.values.get(name) : undefined;
    if (baseValues && copiesValues(values, baseValues)) {
      columns[name] = base!.table.getChild(name)!;
      continue;
    }
    columns[name] = columnOf(name, values, hinted.get(name)?.type);
  }
  return new Table(columns);
}

/** A table and its columns' values as a row function was given them (see {@link tableValues}). */
export interface RowsBase {
  readonly table: Table;
  readonly values: ReadonlyMap<string, ArrayLike<unknown>>;
}

function copiesValues(values: readonly unknown[], base: ArrayLike<unknown>): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (!Object.is(value, base[i]) || (typeof value === 'object' && value !== null)) return false;
  }
  return true;
}

/** A column of `values`: of `hintType` if they all fit it, else of the type rows get for them (see {@link rowsToTable}). */
export function columnOf(name: string, values: unknown[], hintType?: DataType): Vector {
  return hintType && fitsType(values, hintType) ? vectorFromArray(values, hintType) : inferVector(name, values);
}

/** Each column's values, by name, as rows of the table hold them (see {@link columnValues}). */
export function tableValues(table: Table): Map<string, ArrayLike<unknown>> {
  return new Map(table.schema.fields.map((field) => [field.name, columnValues(table.getChild(field.name)!)]));
}

/** Rows of a table as plain objects (not proxies), one object per row; `values` are its columns' values if known already. */
export function tableToRows(table: Table, values: ReadonlyMap<string, ArrayLike<unknown>> = tableValues(table)): Row[] {
  const n = table.numRows;
  const names = table.schema.fields.map((field) => field.name);
  const columns = names.map((name) => values.get(name)!);
  const rows = new Array<Row>(n);
  const make = rowFactory(names);
  if (make) {
    for (let i = 0; i < n; i++) rows[i] = make(columns, i);
    return rows;
  }
  for (let i = 0; i < n; i++) rows[i] = {};
  for (let c = 0; c < names.length; c++) {
    const name = names[c]!;
    const column = columns[c]!;
    for (let i = 0; i < n; i++) rows[i]![name] = column[i];
  }
  return rows;
}

type RowFactory = (columns: ArrayLike<unknown>[], index: number) => Row;

const MAX_FACTORY_COLUMNS = 200;
const rowFactories = new Map<string, RowFactory>();

/**
 * A function that builds the row at an index from column values as one object
 * literal: V8 then gives every row the same compact layout at once, where
 * adding the properties one at a time walks a chain of layouts per row. The
 * source is generated from the column names, each quoted by JSON.stringify.
 */
function rowFactory(names: string[]): RowFactory | undefined {
  if (names.length === 0 || names.length > MAX_FACTORY_COLUMNS || new Set(names).size !== names.length) return undefined;
  // `__proto__` in a literal sets the prototype instead of making a property.
  if (names.includes('__proto__')) return undefined;
  const key = JSON.stringify(names);
  let make = rowFactories.get(key);
  if (!make) {
    const properties = names.map((name, c) => `${JSON.stringify(name)}: c${c}[i]`).join(', ');
    const locals = names.map((_, c) => `const c${c} = columns[${c}];`).join(' ');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    make = new Function('columns', 'i', `${locals} return { ${properties} };`) as RowFactory;
    if (rowFactories.size > 1000) rowFactories.clear();
    rowFactories.set(key, make);
  }
  return make;
}

/** A column's values as plain JavaScript values: a typed array for numbers without nulls. */
export function columnValues(vector: Vector): ArrayLike<unknown> {
  if (vector.nullCount === 0 && isPrimitiveNumeric(vector.type)) return vector.toArray() as ArrayLike<unknown>;
  if (vector.type.typeId === Type.Utf8) return utf8Values(vector);
  const out = new Array<unknown>(vector.length);
  let i = 0;
  for (const value of vector) out[i++] = plainValue(value);
  return out;
}

/** A UTF-8 column's strings, each sliced from its chunk's bytes by Node's decoder (several times faster than Arrow's per-value TextDecoder). */
function utf8Values(vector: Vector): (string | null)[] {
  const out = new Array<string | null>(vector.length);
  let i = 0;
  for (const chunk of vector.data) {
    const offsets = chunk.valueOffsets as Int32Array;
    const values = chunk.values as Uint8Array;
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const nulls = chunk.nullCount > 0;
    for (let r = 0; r < chunk.length; r++) out[i++] = nulls && !chunk.getValid(r) ? null : bytes.toString('utf8', offsets[r]!, offsets[r + 1]!);
  }
  return out;
}

/** The plain value of one row of a column. */
export function plainValueAt(vector: Vector, index: number): unknown {
  return plainValue(vector.get(index));
}

function isPrimitiveNumeric(type: DataType): boolean {
  return type.typeId === Type.Int || type.typeId === Type.Float;
}

/** Arrow's struct rows and list vectors, at any depth, as plain objects and arrays. */
function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  let plain: unknown = value;
  // Struct rows are proxies that answer `in` with their field names only.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') plain = toJSON.call(value) as unknown;
  if (Array.isArray(plain)) return plain.map(plainValue);
  if (plain !== null && typeof plain === 'object' && Object.getPrototypeOf(plain) === Object.prototype) {
    const out: Row = {};
    for (const [key, field] of Object.entries(plain)) out[key] = plainValue(field);
    return out;
  }
  return plain;
}

/**
 * Every key that any row has, in order of first appearance. Rows usually have
 * the first row's keys in its order: a key is then checked against the first
 * row's key at its place, and looked up in the set only when it differs.
 */
export function columnNames(rows: readonly Row[]): string[] {
  if (rows.length === 0) return [];
  const first: string[] = [];
  for (const key in rows[0]) first.push(key);
  const names = new Set<string>(first);
  for (let r = 1; r < rows.length; r++) {
    let i = 0;
    for (const key in rows[r]) {
      if (key !== first[i++] && !names.has(key)) names.add(key);
    }
  }
  return [...names];
}

type InferredKind = 'null' | 'number' | 'string' | 'boolean' | 'bigint' | 'date' | 'bytes' | 'other';

function kindOf(value: unknown): InferredKind {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number': return 'number';
    case 'string': return 'string';
    case 'boolean': return 'boolean';
    case 'bigint': return 'bigint';
    default:
      if (value instanceof Date) return 'date';
      return value instanceof Uint8Array ? 'bytes' : 'other';
  }
}

/** The kind as a type name; `other` (arrays, objects) is described by the value at 1-based `row`, or the first before it. */
function kindName(kind: InferredKind, values: unknown[], row: number): string {
  if (kind !== 'other') return kind;
  for (let i = row - 1; i >= 0; i--) {
    if (kindOf(values[i]) === 'other') {
      const shape = shapeOf(values[i]);
      return shape instanceof ShapeConflict ? 'object' : describe(shape);
    }
  }
  return 'object';
}

/** A column of `values` with the type rows get for them (see {@link rowsToTable}); SchemaInferenceError names `name` on mixed kinds. */
export function inferVector(name: string, values: unknown[]): Vector {
  let kind: InferredKind = 'null';
  let nulls = 0;
  let numbersAndBigints = false;
  for (let i = 0; i < values.length; i++) {
    const k = kindOf(values[i]);
    if (k === 'null') { nulls++; continue; }
    if (kind === 'null') { kind = k; continue; }
    if (k === kind) continue;
    if (isNumeric(k) && isNumeric(kind)) {
      numbersAndBigints = true;
      continue;
    }
    throw new SchemaInferenceError(name, i + 1, [kindName(kind, values, i), kindName(k, values, i + 1)], values[i]);
  }
  if (numbersAndBigints) return mixedNumbersVector(values);
  switch (kind) {
    case 'null': return makeVector(makeData({ type: new Null(), length: values.length, nullCount: values.length }));
    case 'number': return nulls === 0 ? float64Vector(values as number[]) : vectorFromArray(values, new Float64());
    case 'string': return utf8Vector(values as (string | null | undefined)[], nulls);
    case 'boolean': return vectorFromArray(values, new Bool());
    case 'bigint': return vectorFromArray(values, new Int64());
    case 'date': return vectorFromArray(values, new TimestampMillisecond());
    case 'bytes': return vectorFromArray(values, new Binary());
    case 'other': return nestedVector(name, values);
  }
}

function isNumeric(kind: InferredKind): boolean {
  return kind === 'number' || kind === 'bigint';
}

/** A number that an Int64 holds exactly: an integer within 64 bits. */
export function fitsInt64(value: number): boolean {
  return Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63;
}

/**
 * Numbers and bigints in one column (a JSON reader gives a bigint for an
 * integer past 2^53, a number for the others): Int64 when every number is an
 * integer within 64 bits, so that the bigints keep their exact values; else
 * Float64, as JSON's numbers are.
 */
function mixedNumbersVector(values: unknown[]): Vector {
  if (values.every((value) => typeof value !== 'number' || fitsInt64(value))) {
    return vectorFromArray(values.map((value) => (typeof value === 'number' ? BigInt(value) : value)), new Int64());
  }
  return vectorFromArray(values.map((value) => (typeof value === 'bigint' ? Number(value) : value)), new Float64());
}

/**
 * Arrays and objects, as the type their shapes unify to. Arrow's own
 * inference goes by the first value: it throws a bare TypeError when later
 * ones do not fit or silently turns them into NaN or null (a struct field that
 * was a number and is now a string, an empty array followed by full ones),
 * and where it succeeds it drops a struct field that is null in every row and
 * makes strings in structs dictionaries. So the shapes are unified here, a
 * conflict names its row, and every value gets the unified type.
 */
function nestedVector(name: string, values: unknown[]): Vector {
  let merged: Shape = NULL_SHAPE;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    const shape = shapeOf(value);
    if (shape === HOLDS_ITSELF) throw new ColumnValueError(name, i + 1, 'an object or array that holds itself, which no table can hold', { [name]: value });
    if (shape instanceof ShapeConflict) throw new SchemaInferenceError(name, i + 1, shape.types, value);
    const next = unify(merged, shape);
    if (next instanceof ShapeConflict) throw new SchemaInferenceError(name, i + 1, [describe(merged), describe(shape)], value);
    merged = next;
  }
  // Arrow reads a struct field a value lacks as '' or 0, not null; and a number where an Int64 is, or a bigint where a
  // Float64 is, is converted first.
  const complete = needsConforming(merged) ? values.map((value) => conformed(value, merged)) : values;
  return vectorFromArray(complete, arrowType(merged));
}

/** Whether the shape has a struct, or numbers and bigints in one place. */
function needsConforming(shape: Shape): boolean {
  switch (shape.kind) {
    case 'struct': return true;
    case 'list': return needsConforming(shape.element);
    default: return shape.mixed === true;
  }
}

/**
 * A copy of `value` in which every struct has every field of `shape`, null
 * where it had none, and each number or bigint has its place's type: a
 * bigint where the shape is Int64, a number where it is Float64.
 */
function conformed(value: unknown, shape: Shape): unknown {
  if (value === null || value === undefined) return null;
  if (shape.kind === 'bigint' && typeof value === 'number') return BigInt(value);
  if (shape.kind === 'number' && typeof value === 'bigint') return Number(value);
  if (shape.kind === 'list' && Array.isArray(value)) return value.map((item) => conformed(item, shape.element));
  if (shape.kind === 'struct') {
    const out: Row = {};
    for (const [key, field] of shape.fields) out[key] = conformed((value as Row)[key], field);
    return out;
  }
  return value;
}

function arrowType(shape: Shape): DataType {
  switch (shape.kind) {
    case 'null': return new Null();
    case 'number': return new Float64();
    case 'string': return new Utf8();
    case 'boolean': return new Bool();
    case 'bigint': return new Int64();
    case 'date': return new TimestampMillisecond();
    case 'bytes': return new Binary();
    case 'list': return new List(new Field('item', arrowType(shape.element), true));
    case 'struct': return new Struct([...shape.fields].map(([key, field]) => new Field(key, arrowType(field), true)));
  }
}

type Shape =
  /**
   * A number's `notInt64`: one value of the place has a fraction or is past
   * 64 bits, so bigints there become numbers; `mixed`: numbers and bigints
   * meet in the place, and are converted to its type.
   */
  | { kind: Exclude<InferredKind, 'other'>; notInt64?: boolean; mixed?: boolean }
  | { kind: 'list'; element: Shape }
  | { kind: 'struct'; fields: Map<string, Shape> };

const NULL_SHAPE: Shape = { kind: 'null' };
const INTEGER_SHAPE: Shape = { kind: 'number' };
const NOT_INT64_SHAPE: Shape = { kind: 'number', notInt64: true };

/** Two shapes that cannot be one Arrow type, described. */
class ShapeConflict {
  constructor(readonly types: [string, string]) {}
}

/** The shape of a value that holds itself (a cycle): it has none, and walking it would never end. */
const HOLDS_ITSELF = new ShapeConflict(['object', 'object']);

/** The shape of `value`, found inside the objects and arrays of `ancestors` (to catch one that holds itself). */
function shapeOf(value: unknown, ancestors: object[] = []): Shape | ShapeConflict {
  const kind = kindOf(value);
  if (kind === 'number') return fitsInt64(value as number) ? INTEGER_SHAPE : NOT_INT64_SHAPE;
  if (kind !== 'other') return { kind };
  const object = value as object;
  if (ancestors.includes(object)) return HOLDS_ITSELF;
  ancestors.push(object);
  const shape = Array.isArray(object) ? listShapeOf(object, ancestors) : structShapeOf(object, ancestors);
  ancestors.pop();
  return shape;
}

function listShapeOf(items: unknown[], ancestors: object[]): Shape | ShapeConflict {
  let element: Shape = NULL_SHAPE;
  for (const item of items) {
    const shape = shapeOf(item, ancestors);
    if (shape instanceof ShapeConflict) return shape;
    const next = unify(element, shape);
    if (next instanceof ShapeConflict) return new ShapeConflict([describe(element), describe(shape)]);
    element = next;
  }
  return { kind: 'list', element };
}

function structShapeOf(value: object, ancestors: object[]): Shape | ShapeConflict {
  const fields = new Map<string, Shape>();
  for (const [key, item] of Object.entries(value)) {
    const shape = shapeOf(item, ancestors);
    if (shape instanceof ShapeConflict) return shape;
    fields.set(key, shape);
  }
  return { kind: 'struct', fields };
}

/** The shape that holds both (nulls fit anything, structs may miss fields), or the conflict. */
function unify(a: Shape, b: Shape): Shape | ShapeConflict {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (a.kind === 'list' && b.kind === 'list') {
    const element = unify(a.element, b.element);
    return element instanceof ShapeConflict ? new ShapeConflict([describe(a), describe(b)]) : { kind: 'list', element };
  }
  if (a.kind === 'struct' && b.kind === 'struct') {
    const fields = new Map(a.fields);
    for (const [key, shape] of b.fields) {
      const field = unify(fields.get(key) ?? NULL_SHAPE, shape);
      if (field instanceof ShapeConflict) return new ShapeConflict([describe(a), describe(b)]);
      fields.set(key, field);
    }
    return { kind: 'struct', fields };
  }
  if ((a.kind === 'number' || a.kind === 'bigint') && (b.kind === 'number' || b.kind === 'bigint')) return unifyNumbers(a as PrimitiveShape, b as PrimitiveShape);
  return a.kind === b.kind ? a : new ShapeConflict([describe(a), describe(b)]);
}

type PrimitiveShape = Extract<Shape, { notInt64?: boolean }>;

/** Numbers and bigints in one place: Int64 while every number is an integer within 64 bits, else Float64 ({@link mixedNumbersVector}). */
function unifyNumbers(a: PrimitiveShape, b: PrimitiveShape): Shape {
  const notInt64 = a.notInt64 === true || b.notInt64 === true;
  const mixed = a.kind !== b.kind || a.mixed === true || b.mixed === true;
  const kind = notInt64 ? 'number' : a.kind === 'bigint' || b.kind === 'bigint' ? 'bigint' : 'number';
  const same = (shape: PrimitiveShape) => shape.kind === kind && (shape.notInt64 === true) === notInt64 && (shape.mixed === true) === mixed;
  if (same(a)) return a;
  if (same(b)) return b;
  return { kind, ...(notInt64 ? { notInt64 } : {}), ...(mixed ? { mixed } : {}) };
}

/** A TypeScript-like name of a shape: `number`, `string[]`, `{ id: number, tags: string[] }`. */
function describe(shape: Shape): string {
  switch (shape.kind) {
    case 'list': return shape.element.kind === 'null' ? 'unknown[]' : `${describe(shape.element)}[]`;
    case 'struct': return `{ ${[...shape.fields].map(([key, field]) => `${key}: ${describe(field)}`).join(', ')} }`;
    default: return shape.kind;
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

