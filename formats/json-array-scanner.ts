/**
 * Finds where the elements of a file holding one JSON array start and end,
 * chunk by chunk, without parsing them: it follows strings (and their
 * escapes) and bracket depth only, and counts lines. An element is the text
 * between two commas of the array's own level, or a comma and a bracket of
 * it: a malformed element whose quotes and brackets balance (`{"a": tru}`)
 * still ends at the next comma, so whoever reads it can go on at the next
 * element; one that does not balance runs on to the end of the file.
 *
 * Planning and reading scan alike, so a reader that starts where the plan
 * saw an element start finds the same elements the plan counted.
 */

/** Text that is no element where the array's own level expects one. */
export type ArrayProblem =
  /** The first character (after whitespace) is not `[`; the scan ends there. */
  | 'not-an-array'
  /** A comma right after `[` or after another comma. */
  | 'empty-element'
  /** A comma right before the closing `]`. */
  | 'trailing-comma'
  /** Something other than whitespace after the closing `]`; the scan ends there. */
  | 'text-after-array';

/** Why each problem is one, as a bad record's reason says it. */
export const PROBLEM_REASONS: Record<ArrayProblem, string> = {
  'not-an-array': "not a JSON array: the file does not start with '[' (a file of one JSON object per line is read with format 'jsonl')",
  'empty-element': "a ',' with no element before it",
  'trailing-comma': "a ',' with no element after it, before the array's closing ']'",
  'text-after-array': "text after the array's closing ']'",
};

/** What a scan tells as it goes; offsets are the file's, lines 1-based. */
export interface ArrayScanListener {
  /** An element starts at byte `offset`, on line `line`. */
  elementStart(offset: number, line: number): void;
  /** The element that started last ends before byte `offset`, where its comma or the array's `]` is (it may end in whitespace). */
  elementEnd(offset: number): void;
  problem(problem: ArrayProblem, offset: number, line: number): void;
}

/** How a scan that reached the end of the file left the array. */
export type ArrayEnd =
  /** The file held nothing but whitespace. */
  | 'no-array'
  /** Closed by its `]`, or ended at a problem after which the scan stopped. */
  | 'closed'
  /** Not closed: the file ends before its `]` (inside an element when one started and did not end). */
  | 'unclosed';

/** Where a scan starts: at the file's first character (after a byte order mark), or at an element's first character. */
export type ScanStart = 'file' | 'element';

const enum Place { FileStart, ArrayStart, ElementExpected, InElement, AfterArray, Done }

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const CARRIAGE_RETURN = 0x0d;

/** Bytes an element's scan passes over: outside strings all but quotes, brackets, commas and newlines; inside, all but quotes, backslashes and newlines. */
const PLAIN_IN_ELEMENT = plainBytesExcept([QUOTE, NEWLINE, COMMA, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET]);
const PLAIN_IN_STRING = plainBytesExcept([QUOTE, BACKSLASH, NEWLINE]);

function plainBytesExcept(bytes: number[]): Uint8Array {
  const plain = new Uint8Array(256).fill(1);
  for (const byte of bytes) plain[byte] = 0;
  return plain;
}

export class JsonArrayScanner {
  /** The file offset the next chunk given to `scan` starts at. */
  offset: number;
  /** The line the scan has reached. */
  line: number;
  /** Set when an element would start at or after `until`: the scan stopped before it. */
  stopped = false;
  private place: Place;
  private depth = 0;
  private inString = false;
  private escaped = false;

  /**
   * @param until an element that starts at this offset or later is not
   *   reported: the scan stops there (the end of a split).
   */
  constructor(private readonly listener: ArrayScanListener, start: { offset: number; line: number; at: ScanStart }, private readonly until = Infinity) {
    this.offset = start.offset;
    this.line = start.line;
    this.place = start.at === 'file' ? Place.FileStart : Place.ElementExpected;
  }

  /** Whether the scan has stopped: more bytes would not be looked at. */
  get done(): boolean {
    return this.place === Place.Done;
  }

  /** Scans `chunk`, the bytes from `offset` on. */
  scan(chunk: Uint8Array): void {
    const listener = this.listener;
    const base = this.offset;
    const length = chunk.length;
    let place = this.place;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let line = this.line;
    for (let i = 0; i < length && place !== Place.Done; i++) {
      if (place === Place.InElement && !escaped) {
        // Most bytes of an element are none of the few this scan follows: skip them in a tight loop.
        const plain = inString ? PLAIN_IN_STRING : PLAIN_IN_ELEMENT;
        while (i < length && plain[chunk[i]!] === 1) i++;
        if (i === length) break;
      }
      const c = chunk[i]!;
      if (place === Place.InElement) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) inString = false;
          else if (c === NEWLINE) line++;
          continue;
        }
        switch (c) {
          case QUOTE: inString = true; break;
          case NEWLINE: line++; break;
          case OPEN_BRACE: case OPEN_BRACKET: depth++; break;
          case CLOSE_BRACE: if (depth > 0) depth--; break;
          case CLOSE_BRACKET:
            if (depth > 0) {
              depth--;
            } else {
              listener.elementEnd(base + i);
              place = Place.AfterArray;
            }
            break;
          case COMMA:
            if (depth === 0) {
              listener.elementEnd(base + i);
              place = Place.ElementExpected;
            }
            break;
        }
        continue;
      }
      if (c === NEWLINE) {
        line++;
        continue;
      }
      if (c === SPACE || c === TAB || c === CARRIAGE_RETURN) continue;
      switch (place) {
        case Place.FileStart:
          if (c === OPEN_BRACKET) {
            place = Place.ArrayStart;
          } else {
            listener.problem('not-an-array', base + i, line);
            place = Place.Done;
          }
          break;
        case Place.ArrayStart:
        case Place.ElementExpected:
          if (c === CLOSE_BRACKET) {
            if (place === Place.ElementExpected) listener.problem('trailing-comma', base + i, line);
            place = Place.AfterArray;
          } else if (c === COMMA) {
            listener.problem('empty-element', base + i, line);
            place = Place.ElementExpected;
          } else if (base + i >= this.until) {
            this.stopped = true;
            place = Place.Done;
          } else {
            listener.elementStart(base + i, line);
            place = Place.InElement;
            inString = c === QUOTE;
            depth = c === OPEN_BRACE || c === OPEN_BRACKET ? 1 : 0;
          }
          break;
        case Place.AfterArray:
          listener.problem('text-after-array', base + i, line);
          place = Place.Done;
          break;
      }
    }
    this.place = place;
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.line = line;
    this.offset = base + length;
  }

  /** How the array was left when the file ends after the bytes scanned. */
  end(): ArrayEnd {
    switch (this.place) {
      case Place.FileStart: return 'no-array';
      case Place.AfterArray: case Place.Done: return 'closed';
      default: return 'unclosed';
    }
  }
}
