import { z } from 'zod';

/**
 * Checks options a user wrote against `schema` and returns them, or throws
 * `fail(message)` naming every problem: the option (its path), the value
 * given and what is allowed, and for an unknown option the known one it
 * most likely meant. Nothing mistyped is silently accepted.
 */
export function checkOptions<T>(schema: z.ZodType<T>, value: unknown, where: string, fail: (message: string) => Error): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => describeIssue(schema, issue, value));
  throw fail(`${where}: ${problems.join('; ')}`);
}

function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(schema, issue.path);
    const unknown = issue.keys.map((key) => {
      const near = closest(key, known);
      return `'${path ? `${path}.${key}` : key}'${near ? ` (did you mean '${near}'?)` : ''}`;
    });
    return `unknown option ${unknown.join(', ')}; the options${path ? ` of ${path}` : ''} are ${known.join(', ')}`;
  }
  return `${path || 'the options'} must be ${issue.message}, got ${describeValue(valueAt(input, issue.path))}`;
}

/** The option names the schema knows at `path` (an object's keys). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = unwrap(schema);
  for (const key of path) current = unwrap((current as { shape?: Record<PropertyKey, unknown> })?.shape?.[key]);
  const shape = (current as { shape?: Record<string, unknown> })?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) current = current.unwrap();
  return current;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * What is wrong with the keys of `value` that `known` does not list, for a
 * message (`unknown option 'slot' (did you mean 'slots'?); the options are
 * host, port, slots`), or undefined if there is none.
 */
export function unknownKeys(value: object | undefined, known: readonly string[], what = 'option'): string | undefined {
  const unknown = Object.keys(value ?? {}).filter((key) => !known.includes(key));
  if (unknown.length === 0) return undefined;
  const named = unknown.map((key) => {
    const near = closest(key, known);
    return `'${key}'${near ? ` (did you mean '${near}'?)` : ''}`;
  });
  return `unknown ${what} ${named.join(', ')}; the ${what}s are ${known.join(', ')}`;
}

/** The known name closest to `name` (one it begins, or within an edit distance of a third of its length, at least 2), if any. */
export function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const extended = known.find((candidate) => lower.length >= 3 && candidate.toLowerCase().startsWith(lower));
  if (extended) return extended;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
