/**
 * The rows of an Arrow table at given indexes, as a new table, column by
 * column on Arrow's buffers: no row objects. Covers the flat types files and
 * row conversion produce (integers, floats, booleans, dates, times,
 * timestamps, durations, decimals, UTF-8 strings, dictionary-encoded
 * columns); a table with another type (lists, structs, binary, ...) gets
 * undefined, and the caller builds its table another way.
 */
import { Data, RecordBatch, Struct, Table, Type, makeData, type DataType, type Vector } from 'apache-arrow';

type Chunk = Data<DataType>;
type TypedArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

const FIXED_WIDTH = new Set<Type>([Type.Int, Type.Float, Type.Date, Type.Time, Type.Timestamp, Type.Duration, Type.Decimal, Type.Interval, Type.FixedSizeBinary]);

/** Whether {@link takeRows} can take the rows of a column of this type. */
function takeable(type: DataType): boolean {
  if (type.typeId === Type.Dictionary) return true;
  return FIXED_WIDTH.has(type.typeId) || type.typeId === Type.Bool || type.typeId === Type.Utf8;
}

/** The rows of `table` at `indexes` (ascending), or undefined if a column's type is not covered. */
export function takeRows(table: Table, indexes: ArrayLike<number>): Table | undefined {
  const fields = table.schema.fields;
  if (!fields.every((field) => takeable(field.type))) return undefined;
  // Batches of a dictionary column may each have a dictionary of their own; their indexes cannot be mixed.
  const mixedDictionaries = fields.some((field) => {
    const chunks = (table.getChild(field.name) as Vector).data;
    return field.type.typeId === Type.Dictionary && chunks.some((data) => data.dictionary !== chunks[0]!.dictionary);
  });
  if (mixedDictionaries) return undefined;
  const children = fields.map((field) => takeColumn(table.getChild(field.name) as Vector, indexes));
  const batch = new RecordBatch(table.schema, makeData({ type: new Struct(fields), length: indexes.length, nullCount: 0, children }));
  return new Table([batch]);
}

/** Where each index falls: its chunk and its index in that chunk. */
function locate(chunks: readonly Chunk[], indexes: ArrayLike<number>): { chunk: Uint32Array; at: Uint32Array } {
  const chunk = new Uint32Array(indexes.length);
  const at = new Uint32Array(indexes.length);
  let c = 0;
  let start = 0;
  for (let i = 0; i < indexes.length; i++) {
    const index = indexes[i]!;
    if (index < start) {
      c = 0;
      start = 0;
    }
    while (index >= start + chunks[c]!.length) start += chunks[c++]!.length;
    chunk[i] = c;
    at[i] = index - start;
  }
  return { chunk, at };
}

function takeColumn(vector: Vector, indexes: ArrayLike<number>): Chunk {
  const chunks = vector.data as Chunk[];
  const { chunk, at } = locate(chunks, indexes);
  const n = indexes.length;
  const type = vector.type as DataType;
  const { nullBitmap, nullCount } = takeValidity(chunks, chunk, at);
  if (type.typeId === Type.Utf8) return takeUtf8(type, chunks, chunk, at, nullBitmap, nullCount);
  if (type.typeId === Type.Bool) {
    const values = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const data = chunks[chunk[i]!]!;
      const bit = data.offset + at[i]!;
      if ((data.values[bit >> 3]! & (1 << (bit & 7))) !== 0) values[i >> 3]! |= 1 << (i & 7);
    }
    return makeData({ type, length: n, nullCount, nullBitmap, data: values } as never);
  }
  // Fixed width, and a dictionary column's indexes: `stride` values per row, already sliced to the chunk's rows.
  const first = chunks[0]!;
  const stride = first.stride;
  const values = new (first.values.constructor as new (length: number) => TypedArray)(n * stride);
  for (let i = 0; i < n; i++) {
    const source = chunks[chunk[i]!]!.values as TypedArray;
    const from = at[i]! * stride;
    for (let k = 0; k < stride; k++) (values as unknown as number[])[i * stride + k] = (source as unknown as number[])[from + k]!;
  }
  const dictionary = type.typeId === Type.Dictionary ? { dictionary: first.dictionary } : {};
  return makeData({ type, length: n, nullCount, nullBitmap, data: values, ...dictionary } as never);
}

function takeValidity(chunks: readonly Chunk[], chunk: Uint32Array, at: Uint32Array): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  if (chunks.every((data) => data.nullCount === 0)) return { nullBitmap: undefined, nullCount: 0 };
  const n = chunk.length;
  const nullBitmap = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    if (chunks[chunk[i]!]!.getValid(at[i]!)) nullBitmap[i >> 3]! |= 1 << (i & 7);
    else nullCount++;
  }
  return { nullBitmap, nullCount };
}

function takeUtf8(type: DataType, chunks: readonly Chunk[], chunk: Uint32Array, at: Uint32Array, nullBitmap: Uint8Array | undefined, nullCount: number): Chunk {
  const n = chunk.length;
  const valueOffsets = new Int32Array(n + 1);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const offsets = chunks[chunk[i]!]!.valueOffsets as Int32Array;
    bytes += offsets[at[i]! + 1]! - offsets[at[i]!]!;
    valueOffsets[i + 1] = bytes;
  }
  const data = new Uint8Array(bytes);
  for (let i = 0; i < n; i++) {
    const source = chunks[chunk[i]!]!;
    const offsets = source.valueOffsets as Int32Array;
    data.set((source.values as Uint8Array).subarray(offsets[at[i]!]!, offsets[at[i]! + 1]!), valueOffsets[i]!);
  }
  return makeData({ type, length: n, nullCount, nullBitmap, valueOffsets, data } as never);
}
