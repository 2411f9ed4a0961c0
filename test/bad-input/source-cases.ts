/**
 * Bad inputs a FileSource reads: lines it cannot parse, values that do not
 * fit, files it cannot open or plan, and inputs that look bad but are read as
 * they are. Files are read as UTF-8: a line (or CSV record) that is not valid
 * UTF-8 is a bad record, not read with replacement characters (docs/errors.md).
 */
import { isUtf8 } from 'node:buffer';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { InputFormatError, InputNotFoundError, MapOperator, OperatorError, type Row } from '../../lib/index.js';
import {
  CSV_HEADER, csvLine, fileOf, garbage, goodRow, jsonLine, literally, parquetOf, pipeline, range, sourceLetter, writeLineFiles,
  type BadInputCase, type CaseInput, type ExpectedError,
} from './case.js';

/** A record the source cannot read fails its split: OperatorError, the InputFormatError as its cause. */
const unreadableRecord = (message: RegExp, fields?: Record<string, unknown>): ExpectedError => ({ error: OperatorError, cause: InputFormatError, message, ...(fields ? { fields } : {}) });

/** A file that cannot be opened or planned fails the job before any split runs, whatever `onError` says. */
const unreadableFile = (file: string, message: RegExp): ExpectedError => ({ error: InputFormatError, message, fields: { file } });

/** The bytes of row `id`'s JSON line with `bad` in its name, from where the name's text begins. */
function jsonLineWithNameBytes(id: number, bad: Buffer): { bytes: Buffer; at: number } {
  const head = Buffer.from(`{"id":${id},"name":"n${id}`);
  return { bytes: Buffer.concat([head, bad, Buffer.from(`","price":${id * 0.25}}`)]), at: head.length };
}

/** Byte sequences that are not UTF-8: a byte no UTF-8 holds, an overlong `/`, a UTF-16 surrogate, Latin-1 `é` before a quote. */
const NOT_UTF8 = [Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe9])];

export const sourceCases: BadInputCase[] = [
  {
    name: 'a malformed JSON line, in a later byte range of its file',
    input: (dir) => writeLineFiles(dir, {
      format: 'jsonl', files: 1, rowsPerFile: 200, name: 'orders.jsonl',
      bad: (id) => (id === 150 ? '{"id": 150, "broken": ' : undefined), reason: () => /orders\.jsonl \(line 151\): malformed JSON: /,
    }),
    job: (run) => pipeline(run, { source: { splitBytes: 300 } }),
    fails: (input) => unreadableRecord(/orders\.jsonl \(line 151\): malformed JSON: /, { file: input.source, line: 151, record: '{"id": 150, "broken": ' }),
    cli: { stderr: (input) => [/InputFormatError/, literally(`${input.source} (line 151): malformed JSON`)] },
  },
  {
    name: 'JSON lines that hold an array, a string, null or a number instead of an object',
    input: (dir) => writeLineFiles(dir, {
      format: 'jsonl', files: 2, rowsPerFile: 20,
      bad: (id) => ({ 3: '[3, "three"]', 11: '"eleven"', 24: 'null', 37: '37' } as Record<number, string>)[id],
      reason: (id) => literally(`expected a JSON object, got ${({ 3: '[3,"three"]', 11: '"eleven"', 24: 'null', 37: '37' } as Record<number, string>)[id]}`),
    }),
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/expected a JSON object, got /),
  },
  {
    name: 'a JSON lines file cut short inside its last line',
    input: async (dir) => {
      const whole = await writeLineFiles(dir, { format: 'jsonl', files: 3, rowsPerFile: 30 });
      // The third file loses its last line's end: it stops 12 bytes into the line, with no newline.
      const cut = jsonLine(89).slice(0, 12);
      await writeFile(whole.files[2]!, `${range(60, 89).map(jsonLine).join('\n')}\n${cut}`);
      return { ...whole, good: whole.good.filter((row) => row.id !== 89), bad: [sourceLetter(whole.files[2]!, 30, cut, /malformed JSON/)] };
    },
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/part-2\.jsonl \(line 30\): malformed JSON/),
  },
  {
    name: 'binary garbage among JSON lines',
    input: (dir) => writeLineFiles(dir, {
      format: 'jsonl', files: 2, rowsPerFile: 100,
      bad: (id) => (id % 37 === 5 ? garbage(60, id, [0x0a]) : undefined),
      // Garbage is rejected as not UTF-8 where it is not, else as not JSON.
      reason: (id) => (isUtf8(garbage(60, id, [0x0a])) ? /malformed JSON/ : /not valid UTF-8 at byte \d+ of the line/),
    }),
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/not valid UTF-8|malformed JSON/),
  },
  {
    name: 'JSON lines that are not valid UTF-8 (rejected, not replaced)',
    input: (dir) => writeLineFiles(dir, {
      format: 'jsonl', files: 1, rowsPerFile: 40, name: 'text.jsonl',
      bad: (id) => (id % 10 === 4 ? jsonLineWithNameBytes(id, NOT_UTF8[Math.floor(id / 10)]!).bytes : undefined),
      // The first byte of the sequence that breaks, 1-based in the line.
      reason: (id) => {
        const { at } = jsonLineWithNameBytes(id, NOT_UTF8[Math.floor(id / 10)]!);
        const first = NOT_UTF8[Math.floor(id / 10)]![0]!.toString(16);
        return literally(`text.jsonl (line ${id + 1}): not valid UTF-8 at byte ${at + 1} of the line (0x${first})`);
      },
    }),
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/text\.jsonl \(line 5\): not valid UTF-8 at byte 19 of the line \(0xff\)/, { line: 5 }),
  },
  {
    name: 'a byte order mark before the first JSON line (read, not a bad line)',
    input: async (dir) => {
      const rows = range(0, 20);
      return { source: await fileOf(dir, 'bom.jsonl', `\uFEFF${rows.map(jsonLine).join('\n')}\n`), good: rows.map(goodRow), bad: [] };
    },
    job: (run) => pipeline(run),
  },
  {
    name: 'an empty JSON lines file among others (no rows, not an error)',
    input: async (dir) => {
      const whole = await writeLineFiles(dir, { format: 'jsonl', files: 2, rowsPerFile: 10 });
      await fileOf(dir, 'part-1b.jsonl', '');
      return whole;
    },
    job: (run) => pipeline(run),
  },
  {
    name: 'a 100 MB line, read whole in bounded memory, then a malformed line',
    input: async (dir) => {
      const path = join(dir, 'long.jsonl');
      const file = await open(path, 'w');
      const chunk = Buffer.alloc(1 << 20, 'x');
      await file.write(`${jsonLine(0)}\n{"id":1,"name":"`);
      for (let i = 0; i < LONG_NAME_MIB; i++) await file.write(chunk);
      await file.write(`","price":0.25}\n${jsonLine(2)}\n{"id":3,"name":\n${jsonLine(4)}\n`);
      await file.close();
      const good = [goodRow(0), { id: 1, name: `x * ${LONG_NAME_MIB} MiB`, price: 0.25 }, goodRow(2), goodRow(4)];
      return { source: path, good, bad: [sourceLetter(path, 4, '{"id":3,"name":', /long\.jsonl \(line 4\): malformed JSON/)] };
    },
    // The long name is checked (and shortened) in the job: the output holds a line of its own, not 100 MB.
    job: (run) => pipeline(run, {
      stages: [{ name: 'measure', operator: MapOperator, config: { fn: (row: Row) => ({ ...row, name: measured(String(row.name)) }) } }],
    }),
    fails: () => unreadableRecord(/long\.jsonl \(line 4\): malformed JSON/, { line: 4 }),
    child: { peakMiB: 768 },
  },
  {
    name: 'a CSV record with too many fields and one with too few',
    input: (dir) => writeLineFiles(dir, {
      format: 'csv', files: 1, rowsPerFile: 40, name: 'rows.csv',
      bad: (id) => (id === 3 ? `${csvLine(3)},extra` : id === 20 ? '20,n20' : undefined),
      reason: (id) => literally(`expected 3 fields (id, name, price), got ${id === 3 ? 4 : 2}`),
    }),
    job: (run) => pipeline(run),
    fails: (input) => unreadableRecord(/rows\.csv \(line 5\): expected 3 fields \(id, name, price\), got 4/, { file: input.source, line: 5, record: `${csvLine(3)},extra` }),
    cli: { stderr: (input) => [literally(`${input.source} (line 5): expected 3 fields (id, name, price), got 4`)] },
  },
  {
    name: "a CSV value that does not fit its column's type, inferred from the first 1000 rows",
    input: (dir) => writeLineFiles(dir, {
      format: 'csv', files: 1, rowsPerFile: 1300, name: 'typed.csv',
      bad: (id) => (id === 1200 ? '1200,n1200,cheap' : undefined),
      reason: () => /typed\.csv \(line 1202\): column 'price' expects number, got "cheap" \(its type was inferred/,
    }),
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/typed\.csv \(line 1202\): column 'price' expects number, got "cheap"/, { line: 1202 }),
    cli: { stderr: (input) => [literally(`${input.source} (line 1202): column 'price' expects number, got "cheap"`)] },
  },
  {
    name: 'a CSV value that does not fit the column type given in csv.columnTypes (not an integer, past 64 bits)',
    input: (dir) => writeLineFiles(dir, {
      format: 'csv', files: 1, rowsPerFile: 30, name: 'given.csv',
      bad: (id) => (id === 7 ? '7.5,n7,1.75' : id === 9 ? '99999999999999999999,n9,2.25' : undefined),
      reason: (id) => literally(`column 'id' expects integer, got "${id === 7 ? '7.5' : '99999999999999999999'}"`),
    }),
    job: (run) => pipeline(run, { source: { csv: { columnTypes: { id: 'integer' } } } }),
    fails: () => unreadableRecord(/given\.csv \(line 9\): column 'id' expects integer, got "7\.5"/, { line: 9 }),
  },
  {
    name: 'a CSV quote that is never closed: the rest of its split is one bad record',
    input: (dir) => csvFilesWithRestOfFileBad(dir, 45, (id) => `${id},"n${id},${id * 0.25}`),
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/part-1\.csv \(line 17\): Quote Not Closed.*set csv\.multilineFields: true/),
  },
  {
    name: 'a quote inside an unquoted CSV field: the rest of its split is one bad record',
    input: (dir) => csvFilesWithRestOfFileBad(dir, 52, (id) => `${id},n"${id},${id * 0.25}`),
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/part-1\.csv \(line 24\): Invalid Opening Quote/, { line: 24 }),
  },
  {
    name: 'an empty CSV file (it has no header)',
    input: async (dir) => ({ source: await fileOf(dir, 'empty.csv', ''), good: [], bad: [] }),
    job: (run) => pipeline(run),
    fails: (input) => ({ error: InputFormatError, message: /empty\.csv \(line 1\): empty file: a CSV file needs a header line/, fields: { file: input.source, line: 1 } }),
  },
  {
    name: 'CSV records that are not valid UTF-8 (Latin-1 text; rejected, not replaced)',
    input: (dir) => writeLineFiles(dir, {
      format: 'csv', files: 1, rowsPerFile: 30, name: 'latin1.csv',
      bad: (id) => (id === 5 || id === 22 ? Buffer.concat([Buffer.from(`${id},n${id}`), Buffer.from([0xe9]), Buffer.from(`,${id * 0.25}`)]) : undefined),
      reason: (id) => literally(`latin1.csv (line ${id + 2}): not valid UTF-8 at byte ${`${id},n${id}`.length + 1} of the line (0xe9)`),
    }),
    job: (run) => pipeline(run),
    fails: () => unreadableRecord(/latin1\.csv \(line 7\): not valid UTF-8 at byte 5 of the line \(0xe9\)/, { line: 7 }),
  },
  {
    name: 'a CSV header that is not valid UTF-8',
    input: async (dir) => {
      const header = Buffer.concat([Buffer.from('id,n'), Buffer.from([0xe4]), Buffer.from('me,price\n')]);
      return { source: await fileOf(dir, 'header.csv', Buffer.concat([header, Buffer.from(`${csvLine(0)}\n`)])), good: [], bad: [] };
    },
    job: (run) => pipeline(run),
    fails: (input) => ({ ...unreadableFile(input.source, /header\.csv \(line 1\): header not valid UTF-8 at byte 5 of the line \(0xe4\)/), fields: { file: input.source, line: 1 } }),
  },
  {
    name: 'a truncated Parquet file',
    input: async (dir) => {
      const bytes = parquetOf(range(0, 3));
      return { source: await fileOf(dir, 'cut.parquet', bytes.subarray(0, bytes.length - 20)), good: [], bad: [] };
    },
    job: (run) => pipeline(run),
    fails: (input) => unreadableFile(input.source, /cut\.parquet: not a readable Parquet file: /),
    cli: { stderr: (input) => [literally(`${input.source}: not a readable Parquet file`)] },
  },
  {
    name: 'Parquet with corrupt data pages',
    input: async (dir) => {
      // Three row groups of 100 rows, one split each; a data page of the second is damaged, its footer intact.
      const bytes = withDamagedPage(parquetOfGroups(range(0, 300), 100), 1, 'name');
      const source = await fileOf(dir, 'damaged.parquet', bytes);
      const split = { path: source, format: 'parquet', rowGroups: [1], rows: 100 };
      return {
        source,
        good: [...range(0, 100), ...range(200, 300)].map(goodRow),
        bad: [{ stage: 'source', file: source, line: null, row: null, record: JSON.stringify(split), error: 'InputFormatError', message: DAMAGED_GROUP }],
      };
    },
    job: (run) => pipeline(run, { source: { batchRows: 100 } }),
    fails: (input) => unreadableRecord(DAMAGED_GROUP, { file: input.source }),
    cli: { stderr: (input) => [literally(`${input.source}: cannot read row groups 1: `), /snappy: corrupt input/] },
  },
  {
    name: 'binary garbage named .parquet',
    input: async (dir) => ({ source: await fileOf(dir, 'garbage.parquet', garbage(300, 7)), good: [], bad: [] }),
    job: (run) => pipeline(run),
    fails: (input) => unreadableFile(input.source, /garbage\.parquet: not a readable Parquet file: /),
  },
  {
    name: 'an empty Parquet file',
    input: async (dir) => ({ source: await fileOf(dir, 'empty.parquet', ''), good: [], bad: [] }),
    job: (run) => pipeline(run),
    fails: (input) => unreadableFile(input.source, /empty\.parquet: not a readable Parquet file: .*file size of 0/),
  },
  {
    name: 'Parquet files with different schemas (each file read with its own)',
    input: async (dir) => {
      await fileOf(dir, 'a.parquet', parquetOf(range(0, 10)));
      const ids = range(10, 15);
      await fileOf(dir, 'b.parquet', Buffer.from(parquetWriteBuffer({
        columnData: [
          { name: 'id', data: ids.map((id) => `x${id}`), type: 'STRING' },
          { name: 'extra', data: ids.map((id) => id % 2 === 0), type: 'BOOLEAN' },
        ],
      })));
      return { source: dir, good: [...range(0, 10).map(goodRow), ...ids.map((id) => ({ id: `x${id}`, extra: id % 2 === 0 }))], bad: [] };
    },
    job: (run) => pipeline(run),
  },
  {
    name: 'a path that matches no file',
    input: async (dir) => ({ source: join(dir, 'nowhere', '*.jsonl'), good: [], bad: [] }),
    job: (run) => pipeline(run),
    fails: (input) => ({ error: InputNotFoundError, message: /^Input not found: '.*nowhere\/\*\.jsonl' matches no file$/, fields: { path: input.source } }),
    cli: { stderr: () => [/InputNotFoundError: Input not found: '.*nowhere\/\*\.jsonl' matches no file/] },
  },
  {
    name: 'an empty folder',
    input: async (dir) => ({ source: dir, good: [], bad: [] }),
    job: (run) => pipeline(run),
    fails: (input) => ({ error: InputNotFoundError, message: /matches no file/, fields: { path: input.source } }),
  },
  {
    name: 'a JSON lines file its reader may not read (mode 000, read as nobody)',
    input: async (dir) => {
      await writeLineFiles(dir, { format: 'jsonl', files: 1, rowsPerFile: 10, name: 'open.jsonl' });
      await fileOf(dir, 'secret.jsonl', `${jsonLine(10)}\n`, 0o000);
      return { source: dir, good: range(0, 10).map(goodRow), bad: [] };
    },
    job: (run) => pipeline(run),
    fails: (input) => unreadableFile(join(input.source, 'secret.jsonl'), /secret\.jsonl: cannot be read: EACCES: permission denied/),
    child: { unprivileged: true },
  },
  {
    name: 'a Parquet file its reader may not read (mode 000, read as nobody)',
    input: async (dir) => ({ source: await fileOf(dir, 'secret.parquet', parquetOf(range(0, 5)), 0o000), good: [], bad: [] }),
    job: (run) => pipeline(run),
    fails: (input) => unreadableFile(input.source, /secret\.parquet: cannot be read: EACCES: permission denied/),
    child: { unprivileged: true },
  },
];

/** What reading the damaged row group of 'Parquet with corrupt data pages' fails with: the file, the group and the decoder's error. */
const DAMAGED_GROUP = /damaged\.parquet: cannot read row groups 1: .*snappy: corrupt input/;

/** A Parquet file of rows `ids`, as `parquetOf` writes them, in row groups of `groupRows` rows. */
function parquetOfGroups(ids: number[], groupRows: number): Buffer {
  return Buffer.from(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32' },
      { name: 'name', data: ids.map((id) => `n${id}`), type: 'STRING' },
      { name: 'price', data: Float64Array.from(ids, (id) => id * 0.25), type: 'DOUBLE' },
    ],
    rowGroupSize: groupRows,
  }));
}

/** `bytes` with 12 bytes of garbage in the middle of the data of `column` in row group `group` (past its page header); the footer is left as it was. */
function withDamagedPage(bytes: Buffer, group: number, column: string): Buffer {
  const chunk = parquetMetadata(bytes).row_groups[group]!.columns.find((candidate) => candidate.meta_data?.path_in_schema.join('.') === column)!.meta_data!;
  const at = Number(chunk.data_page_offset) + Math.floor(Number(chunk.total_compressed_size) / 2);
  const damaged = Buffer.from(bytes);
  garbage(12, 7).copy(damaged, at);
  return damaged;
}

/** MiB of the long line's name. */
const LONG_NAME_MIB = 100;

/** The long name as the oracle knows it, if it is that: `LONG_NAME_MIB` MiB of `x`. */
function measured(name: string): string {
  if (name.length !== LONG_NAME_MIB << 20) return name;
  return /^x*$/.test(name) ? `x * ${LONG_NAME_MIB} MiB` : 'the long name was not read as written';
}

/**
 * Three CSV files of 30 rows (one split each); row `badId` of the second is
 * written by `badLine`, which the parser cannot get past: the rest of that
 * file, from the bad line on, is one bad record, the rows before it and those
 * of the other files come out.
 */
async function csvFilesWithRestOfFileBad(dir: string, badId: number, badLine: (id: number) => string): Promise<CaseInput> {
  const rows = 30;
  const good: Row[] = [];
  let bad: CaseInput['bad'] = [];
  for (let f = 0; f < 3; f++) {
    const ids = range(f * rows, (f + 1) * rows);
    const lines = ids.map((id) => (id === badId ? badLine(id) : csvLine(id)));
    const file = await fileOf(dir, `part-${f}.csv`, `${[CSV_HEADER, ...lines].join('\n')}\n`);
    const at = ids.indexOf(badId);
    if (at === -1) {
      good.push(...ids.map(goodRow));
      continue;
    }
    good.push(...ids.slice(0, at).map(goodRow));
    bad = [sourceLetter(file, at + 2, lines.slice(at).map((line) => `${line}\n`).join(''), /Quote/)];
  }
  return { source: dir, good, bad };
}
