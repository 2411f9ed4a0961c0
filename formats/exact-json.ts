import { isInteger, parse, stringify } from 'lossless-json';

/** 16 digits in a row: the shortest integers past 2^53 (9007199254740992) have as many. */
const LONG_DIGITS = /\d{16}/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * JSON.parse, except that an integer past 2^53 that fits in 64 bits becomes
 * a bigint of its exact value: JSON.parse rounds it to the nearest double,
 * so that 64-bit ids (database keys, snowflake ids) would silently change.
 * Text without 16 digits in a row holds no such integer and goes to
 * JSON.parse as it is; the rest to lossless-json's parser.
 */
export function parseJsonExact(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return parse(text, null, numberOf);
}

/**
 * A JSON number's value, from its text: a bigint for an integer written
 * without fraction or exponent that is not a safe integer but fits in 64
 * bits, else the double JSON.parse gives.
 */
export function numberOf(text: string): number | bigint {
  const value = Number(text);
  if (Number.isSafeInteger(value) || !isInteger(text)) return value;
  const exact = BigInt(text);
  return exact >= INT64_MIN && exact <= INT64_MAX ? exact : value;
}

/**
 * JSON.stringify, except that a bigint is written as the JSON number it is,
 * every digit of it, where JSON.stringify throws: values read from an Int64
 * column, or from a JSON integer past 2^53 (`parseJsonExact`), are written
 * back unchanged. A value without a bigint goes to JSON.stringify; the rest to
 * lossless-json's, which writes everything else as JSON.stringify does,
 * `replacer` included.
 */
export function stringifyJsonExact(value: unknown, replacer?: Replacer): string {
  try {
    return JSON.stringify(value, replacer) ?? 'null';
  } catch (error) {
    if (!isBigintRefusal(error)) throw error;
    return stringifyWithBigints(value, replacer);
  }
}

type Replacer = (key: string, value: unknown) => unknown;

/** lossless-json's writer alone, for values known to hold bigints: JSON.stringify would only throw first. */
export function stringifyWithBigints(value: unknown, replacer?: Replacer): string {
  return stringify(value, replacer) ?? 'null';
}

/** Whether JSON.stringify threw because the value holds a bigint. */
export function isBigintRefusal(error: unknown): boolean {
  return error instanceof TypeError && /BigInt/.test(error.message);
}
