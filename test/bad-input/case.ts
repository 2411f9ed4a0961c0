/**
 * What one entry of the bad input catalogue says, and the generators its
 * inputs are made from. A case writes its input from a generator whose good
 * rows are known by formula (`goodRow`), so what the job must give back, and
 * which records must be set aside, come from the formula, never from the code
 * under test. `driver.ts` runs every case both ways: under the default
 * `onError: 'fail'` and under `'dead-letter'`.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { FileSink, FileSource, Job, Stage, type ErrorPolicy, type Row } from '../../lib/index.js';

/** A class of error, as `instanceof` and the error's `name` know it. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** What one run of a case's job is given. */
export interface CaseRun {
  jobId: string;
  /** FileSource's `paths`: the case's input. */
  source: string;
  /** The FileSink's folder. */
  output: string;
  /** Every stage's `onError`; undefined leaves the default ('fail'). */
  onError: ErrorPolicy | undefined;
}

/** A dead letter as the oracle expects it: where the record was set aside and read, its text, and why. */
export interface ExpectedLetter {
  stage: string;
  file: string | null;
  line: number | null;
  row: number | null;
  /** The record as the dead letter holds it: a line's text, or a row as JSON. */
  record: string;
  /** The error's class name. */
  error: string;
  message: RegExp;
}

/** The case's input, written, and what the oracle expects of it. */
export interface CaseInput {
  /** What FileSource reads: a file, folder or glob. */
  source: string;
  /** Every row the output must hold, each once: under 'dead-letter', and under both policies for an input that is read whole. */
  good: Row[];
  /**
   * Every record that must be a dead letter under 'dead-letter', each once. Empty for a case whose
   * error is not about a record (a file that cannot be opened or planned, a job that is not valid):
   * under 'dead-letter' such a job fails as under 'fail', and writes no dead letter.
   */
  bad: ExpectedLetter[];
}

/** The error a run rejects with under 'fail'. */
export interface ExpectedError {
  error: ErrorClass;
  /** The class of its `cause` (an OperatorError's: what the operator threw). */
  cause?: ErrorClass;
  /** Matched against the error's message (an OperatorError's holds its cause's). */
  message: RegExp;
  /**
   * Fields of the cause (else of the error) and their values. Without `line`
   * (or `row`), a cause that has one must name one of the bad records.
   */
  fields?: Record<string, unknown>;
}

export interface BadInputCase {
  /** What is bad, as the tests' titles say it. */
  name: string;
  /** Writes the input into the folder `dir` (which exists). */
  input(dir: string): Promise<CaseInput>;
  /** The job over the input; omitted for a case of the CLI's own arguments. */
  job?(run: CaseRun): Job | Promise<Job>;
  /** What the job fails with under 'fail'; omitted for an input that is read as it is (not an error). */
  fails?: (input: CaseInput) => ExpectedError;
  /** The FileSink's format, which the driver reads the output in. Default jsonl. */
  sink?: 'jsonl' | 'parquet' | 'csv';
  /**
   * Run the job also through the CLI: what it prints on stderr under 'fail'
   * (it exits 1). A case without a job is the CLI's `args` (what it prints is
   * then its error's message).
   */
  cli?: { stderr?: (input: CaseInput) => RegExp[]; args?: (input: CaseInput) => string[] };
  /**
   * Run the job in a child process: as the user nobody (uid 65534, when the
   * tests run as root, who reads any file), or to measure its peak memory,
   * which must stay under `peakMiB`.
   */
  child?: { unprivileged?: boolean; peakMiB?: number };
}

/** Row `id` of every generated input: what the oracle expects back for a good record. */
export function goodRow(id: number): Row {
  return { id, name: `n${id}`, price: id * 0.25 };
}

/** `goodRow(id)` as a JSON line's text. */
export function jsonLine(id: number): string {
  return JSON.stringify(goodRow(id));
}

export const CSV_HEADER = 'id,name,price';

/** `goodRow(id)` as a CSV record's text, under {@link CSV_HEADER}. */
export function csvLine(id: number): string {
  const row = goodRow(id);
  return `${row.id},${row.name},${row.price}`;
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Files of lines, `files` of them with `rowsPerFile` rows each, ids 0 up in file order; row `id` is bad where `bad` says. */
export interface LineFiles {
  format: 'jsonl' | 'csv';
  files: number;
  rowsPerFile: number;
  /** The bytes of row `id`'s line when the input makes it bad (without its newline); undefined keeps it good. */
  bad?: (id: number) => string | Buffer | undefined;
  /** What a bad line's dead letter says. */
  reason?: (id: number) => RegExp;
  /** A single file is named this way (and is the source) instead of `part-0.<format>` in a folder. */
  name?: string;
}

/**
 * Writes `spec`'s files into `dir` and says what the oracle expects: every
 * good line's row, and every bad line a dead letter of the source naming the
 * file, the 1-based line (after the CSV header) and the line's text.
 */
export async function writeLineFiles(dir: string, spec: LineFiles): Promise<CaseInput & { files: string[] }> {
  const good: Row[] = [];
  const bad: ExpectedLetter[] = [];
  const files: string[] = [];
  const header = spec.format === 'csv' ? 1 : 0;
  for (let f = 0; f < spec.files; f++) {
    const file = join(dir, spec.name && spec.files === 1 ? spec.name : `part-${f}.${spec.format}`);
    const lines: Buffer[] = spec.format === 'csv' ? [Buffer.from(CSV_HEADER)] : [];
    for (let i = 0; i < spec.rowsPerFile; i++) {
      const id = f * spec.rowsPerFile + i;
      const text = spec.bad?.(id);
      if (text === undefined) {
        lines.push(Buffer.from(spec.format === 'csv' ? csvLine(id) : jsonLine(id)));
        good.push(goodRow(id));
      } else {
        const bytes = Buffer.from(text);
        lines.push(bytes);
        bad.push(sourceLetter(file, header + i + 1, bytes.toString('utf8'), spec.reason?.(id) ?? /./));
      }
    }
    await writeFile(file, Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
    files.push(file);
  }
  return { source: spec.name && spec.files === 1 ? files[0]! : dir, good, bad, files };
}

/** The dead letter of a line the source cannot read. */
export function sourceLetter(file: string, line: number, record: string, message: RegExp): ExpectedLetter {
  return { stage: 'source', file, line, row: null, record, error: 'InputFormatError', message };
}

/** The dead letter of row `id`, the `row`-th of its split, set aside by `stage`. */
export function rowLetter(stage: string, id: number, row: number, error: string, message: RegExp, record: Row = goodRow(id)): ExpectedLetter {
  return { stage, file: null, line: null, row, record: JSON.stringify(record), error, message };
}

/** A Parquet file of rows `ids` (id INT32, name STRING, price DOUBLE), written by hyparquet-writer. */
export function parquetOf(ids: number[]): Buffer {
  return Buffer.from(parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from(ids), type: 'INT32' },
      { name: 'name', data: ids.map((id) => `n${id}`), type: 'STRING' },
      { name: 'price', data: Float64Array.from(ids, (id) => id * 0.25), type: 'DOUBLE' },
    ],
  }));
}

/** Writes `bytes` to `dir/name` and returns its path. */
export async function fileOf(dir: string, name: string, bytes: string | Buffer, mode?: number): Promise<string> {
  const path = join(dir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path, bytes);
  if (mode !== undefined) await chmod(path, mode);
  return path;
}

/** Bytes from a fixed seed (a linear congruential generator): the same garbage every run. */
export function garbage(length: number, seed: number, without: readonly number[] = []): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    do {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      bytes[i] = state >>> 24;
    } while (without.includes(bytes[i]!));
  }
  return bytes;
}

/** A stage between the source and the sink: its name, operator, config, workers and options besides `onError`. */
export interface StageSpec {
  name: string;
  operator: ConstructorParameters<typeof Stage>[1];
  config: unknown;
  parallelism?: number;
  options?: ConstructorParameters<typeof Stage>[4];
}

/**
 * The job most cases run: FileSource (with `source` options) -> the `stages`
 * -> FileSink (`sink`, jsonl by default), every stage with the run's `onError`.
 */
export function pipeline(run: CaseRun, spec: { source?: Record<string, unknown>; stages?: StageSpec[]; sink?: 'jsonl' | 'parquet' | 'csv' } = {}): Job {
  const policy = run.onError === undefined ? {} : { onError: run.onError };
  const job = new Job({ jobId: run.jobId });
  job.addStage(new Stage('source', FileSource, { paths: run.source, ...spec.source }, 1, policy));
  let upstream = 'source';
  for (const stage of spec.stages ?? []) {
    job.addStage(new Stage(stage.name, stage.operator, stage.config as never, stage.parallelism ?? 1, { ...stage.options, ...policy }), [upstream]);
    upstream = stage.name;
  }
  job.addStage(new Stage('sink', FileSink, { path: run.output, format: spec.sink ?? 'jsonl' }, 1, policy), [upstream]);
  return job;
}

/** What a case of the CLI's own arguments fails with: the CLI exits with an error, its stderr as the message. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** A pattern matching `text` as it is. */
export function literally(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
}
