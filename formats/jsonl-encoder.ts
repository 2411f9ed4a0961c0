/**
 * An Arrow table (or some of its rows) written as JSON lines straight from
 * its columns, without a row object or a JavaScript string per value: UTF-8
 * strings are copied byte for byte (escaped where JSON needs it), numbers and
 * booleans are written from their typed arrays. Other column types go through
 * JSON.stringify one value at a time. The bytes are those that JSON.stringify
 * gives for the table's rows as plain objects (`tableToRows`), bigints
 * written as the numbers they are (`stringifyJsonExact`).
 */
import { isUtf8 } from 'node:buffer';
import { TimeUnit, Type, type Data, type DataType, type Table, type Vector } from 'apache-arrow';
import { columnValues } from '../lib/arrow-rows.js';
import { stringifyJsonExact } from './exact-json.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
/** The letter of a control character's two-character escape (`\\n`), as a byte. */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

/** Grows as bytes are written. */
class ByteWriter {
  bytes: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, capacity));
  }

  reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + more));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** A string of code points below 0x80 (numbers, literals, escapes). */
  ascii(text: string): void {
    this.reserve(text.length);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
    this.length = at;
  }

  raw(source: Uint8Array): void {
    this.reserve(source.length);
    // A loop beats set() for the short keys this copies: no subarray object per call.
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < source.length; i++) bytes[at++] = source[i]!;
    this.length = at;
  }

  /** Any string, as UTF-8. */
  text(text: string): void {
    this.reserve(text.length * 3);
    this.length += this.bytes.write(text, this.length, 'utf8');
  }
}

/** Writes the value of one column at a row index (of the whole column). */
type ValueWriter = (out: ByteWriter, index: number) => void;

/**
 * The rows of `table` (those at `indexes` when given, ascending) as JSON
 * lines, or undefined when plain objects would not keep the columns' order
 * (a column name that is an array index, which objects list first, or one
 * name twice): the caller then writes rows.
 */
export function encodeTableAsJsonLines(table: Table, indexes?: ArrayLike<number>): Buffer | undefined {
  const fields = table.schema.fields;
  const names = fields.map((field) => field.name);
  if (new Set(names).size !== names.length || names.some((name) => /^(0|[1-9]\d*)$/.test(name) && Number(name) < 2 ** 32 - 1)) return undefined;
  const keys = names.map((name, c) => Buffer.from(`${c === 0 ? '{' : ','}${JSON.stringify(name)}:`, 'utf8'));
  const writers = fields.map((field) => valueWriter(table.getChild(field.name) as Vector));
  const rows = indexes ? indexes.length : table.numRows;
  const out = new ByteWriter(rows * 64);
  for (let r = 0; r < rows; r++) {
    const index = indexes ? indexes[r]! : r;
    if (writers.length === 0) out.byte(0x7b);
    for (let c = 0; c < writers.length; c++) {
      out.raw(keys[c]!);
      writers[c]!(out, index);
    }
    out.byte(0x7d);
    out.byte(0x0a);
  }
  return out.bytes.subarray(0, out.length);
}

function valueWriter(vector: Vector): ValueWriter {
  const type = vector.type as DataType;
  if (vector.data.length === 1) {
    const data = vector.data[0]!;
    if (type.typeId === Type.Utf8 && isUtf8(data.values as Uint8Array)) return withNulls(data, utf8Writer(data));
    if (data.values instanceof Float64Array || data.values instanceof Float32Array) return withNulls(data, floatWriter(data.values));
    if (type.typeId === Type.Int) {
      const values = data.values as ArrayLike<number | bigint>;
      return withNulls(data, typeof values[0] === 'bigint' || values instanceof BigInt64Array || values instanceof BigUint64Array
        ? int64Writer(values as BigInt64Array | BigUint64Array)
        : (out, i) => out.ascii(String(values[i])));
    }
    if (type.typeId === Type.Timestamp && data.values instanceof BigInt64Array) {
      const unit = (type as unknown as { unit: TimeUnit }).unit;
      return withNulls(data, timestampWriter(data.values, unit, () => columnValues(vector)));
    }
    if (type.typeId === Type.Bool) return withNulls(data, (out, i) => out.ascii(data.values[(data.offset + i) >> 3]! & (1 << ((data.offset + i) & 7)) ? 'true' : 'false'));
    if (type.typeId === Type.Null) return (out) => out.ascii('null');
  }
  const values = columnValues(vector);
  return (out, i) => {
    const value = values[i];
    if (typeof value === 'number') out.ascii(Number.isFinite(value) ? String(value) : 'null');
    else out.text(stringifyJsonExact(value));
  };
}

function withNulls(data: Data, write: ValueWriter): ValueWriter {
  if (data.nullCount === 0) return write;
  return (out, i) => {
    if (data.getValid(i)) write(out, i);
    else out.ascii('null');
  };
}

function floatWriter(values: Float64Array | Float32Array): ValueWriter {
  return (out, i) => {
    const value = values[i]!;
    // JSON has no NaN or infinities: JSON.stringify writes null.
    out.ascii(Number.isFinite(value) ? String(value) : 'null');
  };
}

/**
 * A 64-bit integer as the JSON number it is, every digit of it. Read as two
 * 32-bit halves, so that no bigint is made for a value that fits a double.
 */
function int64Writer(values: BigInt64Array | BigUint64Array): ValueWriter {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const signed = values instanceof BigInt64Array;
  return (out, i) => {
    const low = words[2 * i]!;
    const high = words[2 * i + 1]!;
    // Safe integers: high word in [0, 2^21) or, signed, in [-2^21, 0) but not -2^53 itself.
    if (high < 0x200000) return out.ascii(String(high * 0x100000000 + low));
    if (signed && high >= 0xffe00000 && !(high === 0xffe00000 && low === 0)) return out.ascii(String((high - 0x100000000) * 0x100000000 + low));
    out.ascii(values[i]!.toString());
  };
}

/**
 * A timestamp as the milliseconds Arrow's reader gives for it (a fraction for
 * finer units), computed from the 64-bit words without a bigint while the
 * value is a safe integer; `values` gives the others as Arrow reads them.
 */
function timestampWriter(stamps: BigInt64Array, unit: TimeUnit, values: () => ArrayLike<unknown>): ValueWriter {
  const words = new Int32Array(stamps.buffer, stamps.byteOffset, stamps.length * 2);
  const divisor = unit === TimeUnit.MICROSECOND ? 1000 : unit === TimeUnit.NANOSECOND ? 1_000_000 : 1;
  const factor = unit === TimeUnit.SECOND ? 1000 : 1;
  let slow: ArrayLike<unknown> | undefined;
  return (out, i) => {
    const high = words[2 * i + 1]!;
    const value = high * 0x100000000 + (words[2 * i]! >>> 0);
    if (high < -0x200000 || high >= 0x200000) {
      slow ??= values();
      return out.ascii(String(slow[i]));
    }
    if (divisor === 1) return out.ascii(String(value * factor));
    // As Arrow's divideBigInts: the truncated quotient plus the remainder (of the dividend's sign) over the divisor.
    const quotient = Math.trunc(value / divisor);
    let remainder = value - quotient * divisor;
    let whole = quotient;
    if (value >= 0 && remainder < 0) { whole--; remainder += divisor; }
    if (value < 0 && remainder > 0) { whole++; remainder -= divisor; }
    out.ascii(String(whole + remainder / divisor));
  };
}

/** UTF-8 strings copied from the column's bytes, with JSON.stringify's escapes. */
function utf8Writer(data: Data): ValueWriter {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  return (out, i) => {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    // An escape takes at most six bytes (\u00XX) for one.
    out.reserve((end - start) * 6 + 2);
    const target = out.bytes;
    let at = out.length;
    target[at++] = QUOTE;
    for (let b = start; b < end; b++) {
      const c = bytes[b]!;
      if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
        target[at++] = c;
        continue;
      }
      target[at++] = BACKSLASH;
      const short = c === QUOTE || c === BACKSLASH ? c : SHORT_ESCAPES[c];
      if (short !== undefined) {
        target[at++] = short;
      } else {
        target[at++] = 0x75; // u
        target[at++] = 0x30;
        target[at++] = 0x30;
        target[at++] = HEX.charCodeAt(c >> 4);
        target[at++] = HEX.charCodeAt(c & 15);
      }
    }
    target[at++] = QUOTE;
    out.length = at;
  };
}

