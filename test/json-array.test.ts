/**
 * Files holding one JSON array of objects (`format: 'json'`, and `.json`
 * files that start with `[`): split by byte ranges at element starts, read
 * element by element, bad elements set aside by file and line. Expected rows
 * come from the generator's formula and from DuckDB's `read_json_auto`.
 */
import test from 'ava';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { formatNamed, type FileSplit } from '../formats/index.js';
import { FileSink, FileSource, InputFormatError, Job, OperatorError, SplitPayload, Stage, type FileSinkFormat, type FileSourceConfig, type Row } from '../lib/index.js';
import { sameRows } from './support/compare.js';
import { isolatedState, readJsonLinesDir, sortBy, tempDir } from './support/files.js';

const GENRES = ['Drama', 'Comedy', 'Action'];

/** Movie `i`: every field a function of `i`, strings holding what a scan must not take for structure. */
function movie(i: number): Row {
  return {
    id: i,
    title: `Movie ${i}: "quoted", [brackets] {braces} back\\slash é 日本 😀`,
    year: 1950 + (i % 70),
    rating: (i % 100) / 10,
    genres: GENRES.slice(0, 1 + (i % 3)),
    director: { name: `Director ${i % 97}`, born: 1900 + (i % 90) },
    released: i % 7 !== 0,
    note: i % 5 === 0 ? null : `line one\nline two ${i}\t}],[{`,
  };
}

const movies = (count: number) => Array.from({ length: count }, (_, i) => movie(i));

/**
 * A JSON array of the element texts, one element after another on lines of
 * their own (`pretty`, elements indented by two) or all on one line; and the
 * 1-based line each element starts on.
 */
function arrayText(elements: string[], pretty = true): { text: string; lines: number[] } {
  const lines: number[] = [];
  let text = pretty ? '[\n' : '[';
  let line = pretty ? 2 : 1;
  elements.forEach((element, i) => {
    if (i > 0) {
      text += pretty ? ',\n' : ',';
      if (pretty) line++;
    }
    const indented = pretty ? indent(element) : element;
    lines.push(line);
    text += indented;
    line += indented.split('\n').length - 1;
  });
  return { text: `${text}${pretty ? '\n' : ''}]\n`, lines };
}

/** Two spaces before each line (a regular expression's ^ would also match after U+2028, which JSON leaves raw in strings). */
const indent = (text: string) => `  ${text.replaceAll('\n', '\n  ')}`;

const prettyElements = (rows: Row[]) => rows.map((row) => JSON.stringify(row, null, 2));

async function copyToJsonLines(source: FileSourceConfig, output: string, options: { onError?: 'dead-letter'; deadLetter?: string } = {}) {
  const job = new Job({ jobId: 'json-array' });
  job.addStage(new Stage('source', FileSource, source, 2, options.onError ? { onError: options.onError } : {}));
  job.addStage(new Stage('sink', FileSink, { path: output, format: 'jsonl' }, 2), ['source']);
  const summary = await job.createRunner({ ...isolatedState(), ...(options.deadLetter ? { deadLetter: options.deadLetter } : {}) }).run();
  return { summary, rows: sortBy(await readJsonLinesDir(output), (row) => row.id as number) };
}

/** Every row of the JSON files as DuckDB's read_json_auto reads them, by id, integers as numbers. */
async function duckdbRows(paths: string | string[]): Promise<Row[]> {
  const quoted = (typeof paths === 'string' ? [paths] : paths).map((path) => `'${path.replaceAll("'", "''")}'`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_json_auto([${quoted.join(', ')}]) ORDER BY id`);
    return reader.getRowObjectsJS().map((row) => withNumbers(row) as Row);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function withNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(withNumbers);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withNumbers(inner)]));
  return value;
}

/** The rows of a file's splits read one after another, in plan order, by the json format itself. */
async function readInPlanOrder(splits: FileSplit[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const split of splits) rows.push(...(await formatNamed('json')!.readSplit(split) as Row[]));
  return rows;
}

test('a pretty-printed array over many splits: every row exactly once, in order, as the formula and DuckDB give them', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'movies.json');
  const expected = movies(3200);
  const { text, lines } = arrayText(prettyElements(expected));
  await writeFile(input, text);

  t.deepEqual(await duckdbRows(input), expected, 'DuckDB reads what the formula wrote');

  // Planning alone: splits cut at element starts, each knowing its first line and its element count.
  const splits = await formatNamed('json')!.planSplits(input, { splitBytes: 4096, batchRows: 1_000_000, options: undefined });
  t.true(splits.length > 200, `${splits.length} splits`);
  sameRows(t, await readInPlanOrder(splits), expected, 'splits read in plan order');
  let firstElement = 0;
  for (const split of splits) {
    if (firstElement > 0) t.is(split.line, lines[firstElement], 'a split starts on the line of its first element');
    firstElement += split.rows!;
  }
  t.is(splits.reduce((sum, split) => sum + split.rows!, 0), expected.length);

  // A whole job, its splits bounded by batchRows this time.
  const { summary, rows } = await copyToJsonLines({ paths: input, batchRows: 25 }, join(dir, 'out'));
  t.is(summary.stages[0]!.splitsPlanned, Math.ceil(expected.length / 25));
  sameRows(t, rows, expected);
});

test('a compact array on one line, cut into byte ranges', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'compact.json');
  const expected = movies(1500);
  await writeFile(input, JSON.stringify(expected));
  const { summary, rows } = await copyToJsonLines({ paths: input, splitBytes: 2000 }, join(dir, 'out'));
  t.true(summary.stages[0]!.splitsPlanned! > 50);
  sameRows(t, rows, expected);
});

test('strings holding brackets, braces, commas, escaped quotes and backslashes, unicode escapes and escaped newlines, one split per element', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'strings.json');
  const texts = ['[', ']', '{', '}', ',', '"', '\\', '\\"', '"]', '\\\\', 'a\nb\r\nc', '], {"id": -1}, [', '😀 日本 é', '\u2028\u2029', ''];
  const expected = texts.map((text, id) => ({ id, text, [`key ${text}`]: text }));
  // Hand-written escapes as well as JSON.stringify's: \u005d is ']', \/ is '/'.
  const elements = [...expected.map((row) => JSON.stringify(row)), '{"id": 15, "text": "\\u005d\\u007b\\/\\"", "key \\u005b": "\\\\\\""}'];
  expected.push({ id: 15, text: ']{/"', 'key [': '\\"' });
  const { text } = arrayText(elements);
  await writeFile(input, text);
  const splits = await formatNamed('json')!.planSplits(input, { splitBytes: 1, batchRows: 1_000_000, options: undefined });
  t.is(splits.length, expected.length, 'one split per element');
  sameRows(t, await readInPlanOrder(splits), expected);
  const { rows } = await copyToJsonLines({ paths: input, splitBytes: 1 }, join(dir, 'out'));
  sameRows(t, rows, expected);
});

test('a byte order mark before the array is skipped, also when telling the format from the content', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'bom.json');
  const expected = movies(300);
  await writeFile(input, `\ufeff${arrayText(prettyElements(expected)).text}`);
  const { rows } = await copyToJsonLines({ paths: input, splitBytes: 3000 }, join(dir, 'out'));
  sameRows(t, rows, expected);
});

test('an empty array, an empty file and a file of whitespace hold no rows', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'a-empty-array.json'), '[ ]\n');
  await writeFile(join(dir, 'b-empty.json'), '');
  await writeFile(join(dir, 'c-blank.json'), ' \n\t\n');
  await writeFile(join(dir, 'd-rows.json'), arrayText(prettyElements(movies(3))).text);
  for (const format of [undefined, 'json'] as const) {
    const { summary, rows } = await copyToJsonLines({ paths: dir + '/*.json', ...(format ? { format } : {}) }, join(dir, `out-${format ?? 'auto'}`));
    sameRows(t, rows, movies(3), `format ${format ?? 'from the files'}`);
    t.is(summary.stages[0]!.rowsIn, 3);
  }
});

test("format 'json' reads an array whatever the file's extension; a .json file of JSON lines is still read as JSON lines", async (t) => {
  const dir = await tempDir();
  const expected = movies(200);
  const array = join(dir, 'movies.txt');
  await writeFile(array, arrayText(prettyElements(expected)).text);
  sameRows(t, (await copyToJsonLines({ paths: array, format: 'json', splitBytes: 5000 }, join(dir, 'out-array'))).rows, expected);

  const lines = join(dir, 'lines.json');
  await writeFile(lines, expected.map((row) => JSON.stringify(row)).join('\n') + '\n');
  sameRows(t, (await copyToJsonLines({ paths: lines, splitBytes: 5000 }, join(dir, 'out-lines'))).rows, expected);

  // Not an array: the file cannot be planned, so the job fails before any split runs.
  const error = await t.throwsAsync(copyToJsonLines({ paths: lines, format: 'json' }, join(dir, 'out-forced')));
  const cause = error instanceof OperatorError ? error.cause : error;
  t.true(cause instanceof InputFormatError, String(cause));
  const firstLine = JSON.stringify(expected[0]);
  t.like(cause, { file: lines, line: 1, record: firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine });
  t.regex((cause as Error).message, /\(line 1\): not a JSON array: the file does not start with '\['/);
});

/** Movies with some elements replaced by bad ones; each bad element's text and the line it starts on. */
async function withBadElements(path: string, count: number, bad: Record<number, string>) {
  const good = movies(count);
  const elements = good.map((row, i) => bad[i] ?? JSON.stringify(row, null, 2));
  const { text, lines } = arrayText(elements);
  await writeFile(path, text);
  const expected = good.filter((_, i) => bad[i] === undefined);
  const letters = Object.entries(bad).map(([i, element]) => ({ line: lines[Number(i)]!, record: indent(element).trim() }));
  return { expected, letters };
}

const BAD_ELEMENTS: Record<number, string> = {
  7: '42',
  130: '"a string"',
  131: 'null',
  250: '[1, 2]',
  400: '{"id": 400, "title": "trailing comma",}',
  401: '{\n  "id": 401,\n  "released": tru\n}',
};

test("under onError 'dead-letter' an element that is not an object or not valid JSON is one dead letter with its file and line; every other row comes out once", async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'movies.json');
  const { expected, letters } = await withBadElements(input, 600, BAD_ELEMENTS);
  const deadLetter = join(dir, 'dead');
  const { summary, rows } = await copyToJsonLines({ paths: input, splitBytes: 3000 }, join(dir, 'out'), { onError: 'dead-letter', deadLetter });
  sameRows(t, rows, expected);
  const dead = sortBy(await readJsonLinesDir(join(deadLetter, 'source')), (letter) => letter.line as number);
  t.deepEqual(dead.map((letter) => ({ line: letter.line, record: letter.record })), letters);
  for (const letter of dead) {
    t.is(letter.file, input);
    t.is(letter.error, 'InputFormatError');
    t.true(String(letter.message).startsWith(`${input} (line ${String(letter.line)}): `), String(letter.message));
  }
  t.deepEqual(dead.map((letter) => String(letter.message).replace(/^.*?\): /, '').replace(/: .*$/s, '')), [
    'expected a JSON object, got 42', 'expected a JSON object, got "a string"', 'expected a JSON object, got null', 'expected a JSON object, got [1,2]',
    'malformed JSON', 'malformed JSON',
  ]);
  t.is(summary.stages[0]!.deadLetters, letters.length);
});

test("under onError 'fail' (the default) the first bad element fails the job with InputFormatError naming the file and line", async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'movies.json');
  const { letters } = await withBadElements(input, 600, { 400: BAD_ELEMENTS[400]!, 401: BAD_ELEMENTS[401]! });
  // One split: which bad element is met first does not depend on which worker runs first.
  const error = await t.throwsAsync(copyToJsonLines({ paths: input }, join(dir, 'out')), { instanceOf: OperatorError });
  const cause = error!.cause as InputFormatError;
  t.true(cause instanceof InputFormatError, String(cause));
  t.is(cause.file, input);
  t.is(cause.line, letters[0]!.line);
  t.is(cause.record, letters[0]!.record);
  t.regex(cause.message, new RegExp(`^${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(line ${letters[0]!.line}\\): malformed JSON: `));

  // Read by the format alone, without a place to report to: the same error, raised.
  const [split] = await formatNamed('json')!.planSplits(input, { splitBytes: 1 << 30, batchRows: 1 << 20, options: undefined });
  await t.throwsAsync(formatNamed('json')!.readSplit(split!), { instanceOf: InputFormatError, message: cause.message });
});

test('a truncated file fails naming the line where it ends; under dead-letter the whole elements before it come out and the cut one is a dead letter', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'cut.json');
  const whole = movies(400);
  const { text, lines } = arrayText(prettyElements(whole));
  // Cut inside element 350, after its "year".
  const cutAt = text.indexOf('"year"', text.indexOf('"id": 350,'));
  const truncated = text.slice(0, cutAt);
  await writeFile(input, truncated);
  // The file ends in the indentation before "year": its last text is on the line before.
  const lastLine = truncated.trimEnd().split('\n').length;

  const error = await t.throwsAsync(copyToJsonLines({ paths: input, splitBytes: 2500 }, join(dir, 'out')), { instanceOf: OperatorError });
  const cause = error!.cause as InputFormatError;
  t.true(cause instanceof InputFormatError, String(cause));
  t.is(cause.file, input);
  t.is(cause.line, lastLine);
  t.regex(cause.reason, new RegExp(`^the array is never closed: the file ends inside the element that starts on line ${lines[350]}`));

  const deadLetter = join(dir, 'dead');
  const { rows } = await copyToJsonLines({ paths: input, splitBytes: 2500 }, join(dir, 'out-dead'), { onError: 'dead-letter', deadLetter });
  sameRows(t, rows, whole.slice(0, 350));
  const dead = await readJsonLinesDir(join(deadLetter, 'source'));
  t.is(dead.length, 1);
  t.like(dead[0], { file: input, line: lastLine, record: truncated.slice(truncated.lastIndexOf('  {\n')).trim(), error: 'InputFormatError' });
});

test('an element whose bytes are not UTF-8 is a bad record, not text with replacement characters', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'latin1.json');
  await writeFile(input, Buffer.concat([Buffer.from('[\n  {"id": 0, "name": "ok"},\n  {"id": 1, "name": "caf'), Buffer.from([0xe9]), Buffer.from('"},\n  {"id": 2}\n]\n')]));
  const records: [number | undefined, string][] = [];
  const [split] = await formatNamed('json')!.planSplits(input, { splitBytes: 1 << 20, batchRows: 1000, options: undefined });
  const rows = await formatNamed('json')!.readSplit(split!, (error, text) => records.push([error.line, `${error.reason}: ${text}`]));
  t.deepEqual(rows, [{ id: 0, name: 'ok' }, { id: 2 }]);
  // The byte's place in the element, counted from its first byte ('{').
  const at = Buffer.byteLength('{"id": 1, "name": "caf') + 1;
  t.deepEqual(records, [[3, `not valid UTF-8 at byte ${at} of the element (0xe9): {"id": 1, "name": "caf\ufffd"}`]]);
});

test('a string never closed inside an element: the elements it runs over are one bad record holding their text, and no element is lost', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'unclosed.json');
  const { expected } = await withBadElements(input, 300, { 120: '{\n  "id": 120,\n  "title": "never closed\n}' });
  const deadLetter = join(dir, 'dead');
  const { rows } = await copyToJsonLines({ paths: input, splitBytes: 3000 }, join(dir, 'out'), { onError: 'dead-letter', deadLetter });
  const dead = await readJsonLinesDir(join(deadLetter, 'source'));
  t.true(dead.length >= 1);
  t.true(dead.every((letter) => letter.file === input && letter.error === 'InputFormatError' && typeof letter.line === 'number'));
  // Every element is a row or inside a dead letter's text, never both.
  const deadIds = dead.flatMap((letter) => [...String(letter.record).matchAll(/"id": (\d+)/g)].map((match) => Number(match[1])));
  t.deepEqual(sortBy([...rows.map((row) => row.id as number), ...deadIds], (id) => id), Array.from({ length: 300 }, (_, id) => id));
  sameRows(t, rows.slice(0, 120), expected.slice(0, 120), 'the rows before it');
});

test('text after the closing bracket, and commas with no element, are bad records too: nothing is silently dropped', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'twice.json');
  await writeFile(input, '[{"id": 0},\n,{"id": 1},\n]\n[{"id": 2}]\n');
  const deadLetter = join(dir, 'dead');
  const { rows } = await copyToJsonLines({ paths: input }, join(dir, 'out'), { onError: 'dead-letter', deadLetter });
  t.deepEqual(rows, [{ id: 0 }, { id: 1 }]);
  const dead = sortBy(await readJsonLinesDir(join(deadLetter, 'source')), (letter) => letter.line as number);
  t.deepEqual(dead.map((letter) => [letter.line, letter.record, String(letter.message).replace(/^.*?\): /, '')]), [
    [2, ',', "a ',' with no element before it"],
    [3, ',', "a ',' with no element after it, before the array's closing ']'"],
    [4, '[{"id": 2}]', "text after the array's closing ']'"],
  ]);
});

test('a split cuts at an element start it planned: the two parts read exactly the whole, wherever the cut falls', async (t) => {
  const dir = await tempDir();
  const input = join(dir, 'cut-me.json');
  const expected = movies(500);
  await writeFile(input, arrayText(prettyElements(expected)).text);
  const json = formatNamed('json')!;
  const [whole] = await json.planSplits(input, { splitBytes: 1 << 30, batchRows: 1 << 20, options: undefined });
  t.is(whole!.rows, 500);
  for (const fraction of [0.001, 0.1, 0.37, 0.5, 0.9, 0.999]) {
    const [head, tail] = json.cut!(whole!, fraction)!;
    // At the nearest of 15 element starts kept evenly spaced.
    t.true(Math.abs(head.rows! - 500 * fraction) <= 500 / 16 + 1, `cut at ${fraction}: ${head.rows} rows first`);
    t.is(head.rows! + tail.rows!, 500);
    const headRows = await json.readSplit(head) as Row[];
    t.is(headRows.length, head.rows!);
    sameRows(t, [...headRows, ...(await json.readSplit(tail) as Row[])], expected, `cut at ${fraction}`);
    // The larger part cuts again, at the element starts it kept.
    const [larger, skipped] = head.rows! > tail.rows! ? [head, 0] : [tail, head.rows!];
    const [first, second] = json.cut!(larger, 0.5)!;
    const again = [...(await json.readSplit(first) as Row[]), ...(await json.readSplit(second) as Row[])];
    sameRows(t, again, expected.slice(skipped, skipped + larger.rows!), `the larger part of the cut at ${fraction}, cut again`);
  }
  const [single] = await json.planSplits(input, { splitBytes: 1, batchRows: 1, options: undefined });
  t.is(json.cut!(single!, 0.5), undefined, 'a split of one element has nowhere to cut');
});

test('integers past 2^53 keep their exact values in an Int64 column, from a JSON array as from JSON lines; a column with fractions is Float64', async (t) => {
  const dir = await tempDir();
  // big: integers within 64 bits, two past 2^53; whole: integers as JSON.parse reads 2.0 and 1e3; mixed: one past 2^53
  // and a fraction; huge: past 64 bits.
  const objects = [
    '{"id": 0, "big": 9007199254740993, "whole": 9007199254740993, "mixed": 9007199254740993, "huge": 123456789012345678901234, "nested": {"ids": [9007199254740995, 2], "list": []}}',
    '{"id": 1, "big": -1234567890123456789, "whole": 2.0, "mixed": 1.5, "huge": 1, "nested": {"ids": [], "list": [{"deep": [null, true]}]}}',
    '{"id": 2, "big": 7, "whole": 1e3, "mixed": 2, "huge": 2, "nested": {"ids": [3], "list": []}}',
  ];
  await writeFile(join(dir, 'values.json'), arrayText(objects).text);
  await writeFile(join(dir, 'values.jsonl'), objects.join('\n') + '\n');
  const read = async (name: string, format: string) => {
    const splits = await formatNamed(format)!.planSplits(join(dir, name), { splitBytes: 1 << 20, batchRows: 1000, options: undefined });
    const records = await formatNamed(format)!.readSplit(splits[0]!);
    const table = Array.isArray(records) ? SplitPayload.fromRows(records, 'values').toTable() : records;
    return { types: Object.fromEntries(table.schema.fields.map((field) => [field.name, String(field.type)])), rows: table.toArray().map((row) => row.toJSON() as Row) };
  };
  const fromArray = await read('values.json', 'json');
  t.like(fromArray.types, { id: 'Float64', big: 'Int64', whole: 'Int64', mixed: 'Float64', huge: 'Float64' });
  t.is(fromArray.types.nested, 'Struct<{ids:List<Int64>, list:List<Struct<{deep:List<Bool>}>>}>');
  // The oracle: each literal's exact value, BigInt of its digits; Number() of them where the column is Float64.
  t.deepEqual(fromArray.rows.map((row) => [row.big, row.whole, row.mixed, row.huge]), [
    [BigInt('9007199254740993'), BigInt('9007199254740993'), Number('9007199254740993'), Number('123456789012345678901234')],
    [BigInt('-1234567890123456789'), 2n, 1.5, 1],
    [7n, 1000n, 2, 2],
  ]);
  t.deepEqual(fromArray.rows.map((row) => [...(row.nested as { ids: Iterable<bigint> }).ids]), [[BigInt('9007199254740995'), 2n], [], [3n]]);
  const fromLines = await read('values.jsonl', 'jsonl');
  t.deepEqual(fromLines.types, fromArray.types);
  const values = (row: Row) => [row.id, row.big, row.whole, row.mixed, row.huge];
  t.deepEqual(fromLines.rows.map(values), fromArray.rows.map(values));
});

test("FileSink writes format 'json' as one array per file, which DuckDB and FileSource read back", async (t) => {
  const dir = await tempDir();
  const expected = movies(900);
  const input = join(dir, 'in.jsonl');
  await writeFile(input, expected.map((row) => JSON.stringify(row)).join('\n') + '\n');
  const job = new Job({ jobId: 'to-json' });
  job.addStage(new Stage('source', FileSource, { paths: input, splitBytes: 20_000 }, 2));
  job.addStage(new Stage('sink', FileSink, { path: join(dir, 'out'), format: 'json' satisfies FileSinkFormat }, 2), ['source']);
  await job.createRunner(isolatedState()).run();
  const files = (await readdir(join(dir, 'out'))).filter((name) => /^part-.*\.json$/.test(name)).map((name) => join(dir, 'out', name));
  t.true(files.length > 5, `${files.length} files`);
  t.deepEqual(await duckdbRows(files), expected);
  sameRows(t, (await copyToJsonLines({ paths: join(dir, 'out'), splitBytes: 5000 }, join(dir, 'back'))).rows, expected);
});
