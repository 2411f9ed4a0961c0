/**
 * JSON lines decoded straight into Arrow columns, without a JavaScript object
 * per line: numbers are parsed from the bytes into a Float64Array (an Int64
 * column when integers past 2^53 need it: `formats/exact-json.ts`), strings are
 * copied as UTF-8 bytes into the column's data buffer (only a string with
 * escapes is decoded), booleans into a byte per row. Nested values (arrays,
 * objects) are parsed by JSON.parse on their own bytes and typed as rows are
 * (`inferVector`).
 *
 * It decodes lines of one shape: every line an object with the same keys.
 * Anything else (a key missing from some lines, a column of mixed kinds, a
 * duplicate key, malformed JSON) makes it give up and return undefined, and
 * the caller parses the lines as rows, which keeps each line's own keys and
 * reports a bad line by its number.
 */
import { Bool, Float64, Int64, Null, Table, Utf8, makeData, makeVector, type Vector } from 'apache-arrow';
import { fitsInt64, inferVector } from '../lib/arrow-rows.js';
import { numberOf, parseJsonExact } from './exact-json.js';

const enum Kind { None, Number, String, Boolean, Nested }

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Powers of ten a double holds exactly: a decimal of at most 15 digits divided by one is correctly rounded. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_EXACT_DIGITS = 15;

/** Thrown inside the decoder when the lines do not fit; never leaves this module. */
class NotColumnar {}
const NOT_COLUMNAR = new NotColumnar();

class ColumnBuilder {
  kind = Kind.None;
  /** 0 for a null row, 1 for a value; one byte per row until the column is built. */
  readonly valid: Uint8Array;
  nullCount = 0;
  numbers: Float64Array | undefined;
  offsets: Int32Array | undefined;
  bytes = new Uint8Array(0);
  byteLength = 0;
  booleans: Uint8Array | undefined;
  nested: unknown[] | undefined;
  /** A number column's integers past 2^53, exact, by row: the column is Int64 if every other value is an integer too. */
  wide: Map<number, bigint> | undefined;
  /** A number column has a value with a fraction, or an integer past 64 bits: it is Float64, as JSON's numbers are. */
  notInt64 = false;
  /** The last row that set this column, to catch a key given twice in a line. */
  lastRow = -1;

  constructor(readonly name: string, readonly key: Uint8Array, readonly capacity: number) {
    this.valid = new Uint8Array(capacity);
  }

  becomes(kind: Kind): void {
    if (this.kind === kind) return;
    if (this.kind !== Kind.None) throw NOT_COLUMNAR;
    this.kind = kind;
    switch (kind) {
      case Kind.Number: this.numbers = new Float64Array(this.capacity); break;
      case Kind.String:
        this.offsets = new Int32Array(this.capacity + 1);
        this.bytes = new Uint8Array(Math.max(1024, this.capacity * 8));
        break;
      case Kind.Boolean: this.booleans = new Uint8Array(this.capacity); break;
      case Kind.Nested: this.nested = new Array<unknown>(this.capacity).fill(null); break;
    }
  }

  /** Room for `more` string bytes. */
  reserve(more: number): void {
    if (this.byteLength + more <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.byteLength + more));
    grown.set(this.bytes.subarray(0, this.byteLength));
    this.bytes = grown;
  }

  /** The Arrow vector of the first `rows` rows. */
  build(rows: number): Vector {
    const nullCount = this.nullCount;
    switch (this.kind) {
      case Kind.None:
        return makeVector(makeData({ type: new Null(), length: rows, nullCount: rows }));
      case Kind.Number: {
        if (this.wide && !this.notInt64) {
          const wide = this.wide;
          const numbers = this.numbers!;
          const data = BigInt64Array.from({ length: rows }, (_, i) => wide.get(i) ?? BigInt(numbers[i]!));
          return makeVector(makeData({ type: new Int64(), length: rows, nullCount, nullBitmap: this.bitmap(rows), data }));
        }
        return makeVector(makeData({ type: new Float64(), length: rows, nullCount, nullBitmap: this.bitmap(rows), data: this.numbers!.subarray(0, rows) }));
      }
      case Kind.String: {
        // A null row's offset repeats the previous one: set while decoding, as each row's end.
        return makeVector(makeData({
          type: new Utf8(), length: rows, nullCount, nullBitmap: this.bitmap(rows),
          valueOffsets: this.offsets!.subarray(0, rows + 1), data: this.bytes.subarray(0, this.byteLength),
        }));
      }
      case Kind.Boolean: {
        const packed = new Uint8Array((rows + 7) >> 3);
        const booleans = this.booleans!;
        for (let i = 0; i < rows; i++) if (booleans[i]) packed[i >> 3]! |= 1 << (i & 7);
        return makeVector(makeData({ type: new Bool(), length: rows, nullCount, nullBitmap: this.bitmap(rows), data: packed }));
      }
      case Kind.Nested:
        return inferVector(this.name, this.nested!.slice(0, rows));
    }
  }

  private bitmap(rows: number): Uint8Array | undefined {
    if (this.nullCount === 0) return undefined;
    const bitmap = new Uint8Array((rows + 7) >> 3);
    const valid = this.valid;
    for (let i = 0; i < rows; i++) if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    return bitmap;
  }
}

/** The lines of `bytes` as one Arrow table, or undefined when they are not all objects of one shape (see the module comment). */
export function decodeJsonLinesToTable(bytes: Uint8Array): Table | undefined {
  try {
    return new JsonLinesDecoder(bytes).decode();
  } catch (error) {
    if (error === NOT_COLUMNAR) return undefined;
    throw error;
  }
}

class JsonLinesDecoder {
  private pos = 0;
  private readonly columns: ColumnBuilder[] = [];
  private readonly byName = new Map<string, ColumnBuilder>();
  private readonly capacity: number;
  private readonly text: Buffer;

  constructor(private readonly bytes: Uint8Array) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let lines = 1;
    for (let at = this.text.indexOf(NEWLINE); at !== -1; at = this.text.indexOf(NEWLINE, at + 1)) lines++;
    this.capacity = lines;
  }

  decode(): Table | undefined {
    const bytes = this.bytes;
    let row = 0;
    while (true) {
      this.skipSpace();
      if (this.pos >= bytes.length) break;
      if (bytes[this.pos] === NEWLINE) { this.pos++; continue; }
      this.readObject(row);
      this.skipSpace();
      if (this.pos < bytes.length && bytes[this.pos++] !== NEWLINE) throw NOT_COLUMNAR;
      row++;
    }
    if (row === 0 || this.columns.length === 0) return undefined;
    const vectors: Record<string, Vector> = {};
    try {
      for (const column of this.columns) vectors[column.name] = column.build(row);
    } catch {
      // A nested column whose values do not make one Arrow type (they do not unify, or Arrow's builder
      // refuses them): the lines are read as rows instead, which keep every value as it is.
      throw NOT_COLUMNAR;
    }
    return new Table(vectors);
  }

  /** Spaces, tabs and carriage returns; not newlines, which end a line. */
  private skipSpace(): void {
    const bytes = this.bytes;
    let pos = this.pos;
    if (bytes[pos]! > 0x20) return;
    while (pos < bytes.length) {
      const c = bytes[pos]!;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
      pos++;
    }
    this.pos = pos;
  }

  private expect(byte: number): void {
    this.skipSpace();
    if (this.bytes[this.pos] !== byte) throw NOT_COLUMNAR;
    this.pos++;
  }

  private readObject(row: number): void {
    const bytes = this.bytes;
    this.expect(OPEN_BRACE);
    this.skipSpace();
    let fields = 0;
    if (bytes[this.pos] === CLOSE_BRACE) {
      this.pos++;
    } else {
      while (true) {
        const column = this.readKey(row, fields);
        this.expect(COLON);
        this.skipSpace();
        if (column.lastRow === row) throw NOT_COLUMNAR;
        column.lastRow = row;
        this.readValue(column, row);
        fields++;
        this.skipSpace();
        const c = bytes[this.pos++];
        if (c === CLOSE_BRACE) break;
        if (c !== COMMA) throw NOT_COLUMNAR;
        this.skipSpace();
      }
    }
    if (fields !== this.columns.length) throw NOT_COLUMNAR;
  }

  /** The column of the key at `pos`; lines usually repeat the first line's keys in its order, so the `index`-th column is tried first. */
  private readKey(row: number, index: number): ColumnBuilder {
    const bytes = this.bytes;
    if (bytes[this.pos] !== QUOTE) throw NOT_COLUMNAR;
    const start = this.pos + 1;
    const expected = this.columns[index];
    if (expected && bytes[start + expected.key.length] === QUOTE && sameBytes(expected.key, bytes, start, start + expected.key.length)) {
      this.pos = start + expected.key.length + 1;
      return expected;
    }
    let end = start;
    while (end < bytes.length && bytes[end] !== QUOTE) {
      if (bytes[end] === BACKSLASH || bytes[end]! < 0x20) throw NOT_COLUMNAR;
      end++;
    }
    if (end >= bytes.length) throw NOT_COLUMNAR;
    this.pos = end + 1;
    const name = this.text.toString('utf8', start, end);
    let column = this.byName.get(name);
    if (!column) {
      // A key the first line did not have: earlier lines lack it.
      if (row > 0) throw NOT_COLUMNAR;
      column = new ColumnBuilder(name, bytes.slice(start, end), this.capacity);
      this.columns.push(column);
      this.byName.set(name, column);
    }
    return column;
  }

  private readValue(column: ColumnBuilder, row: number): void {
    const c = this.bytes[this.pos]!;
    if (c === QUOTE) {
      column.becomes(Kind.String);
      this.readString(column, row);
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      column.becomes(Kind.Number);
      this.readNumber(column, row);
    } else if (c === 0x74 /* t */) {
      this.literal('true');
      column.becomes(Kind.Boolean);
      column.booleans![row] = 1;
    } else if (c === 0x66 /* f */) {
      this.literal('false');
      column.becomes(Kind.Boolean);
    } else if (c === 0x6e /* n */) {
      this.literal('null');
      column.nullCount++;
      if (column.kind === Kind.String) column.offsets![row + 1] = column.byteLength;
      return;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      column.becomes(Kind.Nested);
      column.nested![row] = this.readNested();
    } else {
      throw NOT_COLUMNAR;
    }
    column.valid[row] = 1;
  }

  private literal(word: string): void {
    const bytes = this.bytes;
    for (let i = 0; i < word.length; i++) if (bytes[this.pos + i] !== word.charCodeAt(i)) throw NOT_COLUMNAR;
    this.pos += word.length;
  }

  private readString(column: ColumnBuilder, row: number): void {
    const bytes = this.bytes;
    const start = this.pos + 1;
    let end = start;
    let escaped = false;
    while (true) {
      if (end >= bytes.length) throw NOT_COLUMNAR;
      const c = bytes[end]!;
      if (c === QUOTE) break;
      if (c < 0x20) throw NOT_COLUMNAR;
      if (c === BACKSLASH) {
        escaped = true;
        end++;
      }
      end++;
    }
    this.pos = end + 1;
    if (column.kind !== Kind.String) column.becomes(Kind.String);
    if (!escaped) {
      column.reserve(end - start);
      // A loop beats set(): no subarray object per value, and values are short.
      const target = column.bytes;
      let at = column.byteLength;
      for (let b = start; b < end; b++) target[at++] = bytes[b]!;
      column.byteLength = at;
    } else {
      let value: unknown;
      try {
        value = JSON.parse(this.text.toString('utf8', start - 1, end + 1));
      } catch (error) {
        // Malformed: the line is parsed again as a row, which reports it.
        if (error instanceof SyntaxError) throw NOT_COLUMNAR;
        throw error;
      }
      const encoded = Buffer.from(value as string, 'utf8');
      column.reserve(encoded.length);
      column.bytes.set(encoded, column.byteLength);
      column.byteLength += encoded.length;
    }
    column.offsets![row + 1] = column.byteLength;
  }

  /**
   * A JSON number. Up to 15 significant digits without an exponent, the
   * digits as an integer divided by an exact power of ten is the correctly
   * rounded double (Clinger's fast path), as JSON.parse gives; longer numbers
   * and exponents are left to Number(), but for an integer past 2^53 that
   * fits in 64 bits, kept exact as a bigint beside the double (`numberOf`).
   */
  private readNumber(column: ColumnBuilder, row: number): void {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    const negative = bytes[pos] === MINUS;
    if (negative) pos++;
    let mantissa = 0;
    let digits = 0;
    let c = bytes[pos]!;
    if (c < ZERO || c > NINE) throw NOT_COLUMNAR;
    if (c === ZERO) {
      pos++;
      c = bytes[pos]!;
      if (c >= ZERO && c <= NINE) throw NOT_COLUMNAR;
    } else {
      while (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        c = bytes[++pos]!;
      }
    }
    let fractionDigits = 0;
    if (c === DOT) {
      c = bytes[++pos]!;
      if (c < ZERO || c > NINE) throw NOT_COLUMNAR;
      while (c >= ZERO && c <= NINE) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        fractionDigits++;
        c = bytes[++pos]!;
      }
    }
    let exact = digits <= MAX_EXACT_DIGITS;
    if (c === 0x65 || c === 0x45) {
      exact = false;
      c = bytes[++pos]!;
      if (c === 0x2b || c === MINUS) c = bytes[++pos]!;
      if (c < ZERO || c > NINE) throw NOT_COLUMNAR;
      while (c >= ZERO && c <= NINE) c = bytes[++pos]!;
    }
    this.pos = pos;
    const numbers = column.numbers!;
    if (exact) {
      const value = fractionDigits === 0 ? mantissa : mantissa / EXACT_POWERS_OF_TEN[fractionDigits]!;
      // By value, as for rows: 2.0 is the integer 2.
      if (fractionDigits > 0 && !Number.isInteger(value)) column.notInt64 = true;
      numbers[row] = negative ? -value : value;
      return;
    }
    const text = this.text.toString('latin1', start, pos);
    const value = numberOf(text);
    if (typeof value === 'bigint') {
      (column.wide ??= new Map()).set(row, value);
      numbers[row] = Number(value);
      return;
    }
    if (!fitsInt64(value)) column.notInt64 = true;
    numbers[row] = value;
  }

  /** An array or object value, parsed by JSON.parse from its own bytes. */
  private readNested(): unknown {
    const bytes = this.bytes;
    const start = this.pos;
    let depth = 0;
    let pos = start;
    while (pos < bytes.length) {
      const c = bytes[pos]!;
      if (c === QUOTE) {
        pos++;
        while (pos < bytes.length && bytes[pos] !== QUOTE) pos += bytes[pos] === BACKSLASH ? 2 : 1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) break;
      } else if (c === NEWLINE) {
        throw NOT_COLUMNAR;
      }
      pos++;
    }
    if (pos >= bytes.length) throw NOT_COLUMNAR;
    this.pos = pos + 1;
    try {
      return parseJsonExact(this.text.toString('utf8', start, pos + 1));
    } catch (error) {
      if (error instanceof SyntaxError) throw NOT_COLUMNAR;
      throw error;
    }
  }
}

function sameBytes(key: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== bytes[start + i]) return false;
  return true;
}
