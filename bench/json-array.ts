/**
 * bench/json-array: how fast a file holding one JSON array is scanned for
 * its elements (what planning does) and read into rows (what splits do), by
 * the JSON format (`formats/json-array-*.ts`: a structural scan and
 * `JSON.parse` per element) and by the streaming parsers that were its
 * candidates, `@streamparser/json` and `stream-json`, measured when they are
 * installed (`npm install --no-save @streamparser/json stream-json`). Each
 * method reads the file in 1 MiB chunks and keeps the rows of 65,536
 * elements at a time, as a split does. docs/libraries.md has the numbers.
 *
 * `node dist/bench/json-array.js [megabytes=200] [pretty|compact] [rounds=3]`:
 * each method's fastest round counts (for a busy machine).
 */
import { createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { formatNamed } from '../formats/index.js';

const CHUNK = 1024 * 1024;
const BATCH = 65_536;

/** One generated element: a movie, with a nested object, an array, escapes and non-ASCII text. */
function movie(i: number): Record<string, unknown> {
  return {
    id: i,
    title: `Movie ${i} "quoted" é [x] {y}`,
    year: 1950 + (i % 70),
    rating: (i % 100) / 10,
    votes: (i * 37) % 100_000,
    genres: ['Drama', 'Comedy', 'Action'].slice(0, 1 + (i % 3)),
    director: { name: `Director ${i % 977}`, born: 1900 + (i % 90) },
    released: i % 7 !== 0,
    note: i % 5 === 0 ? null : `line one\nline two ${i}`,
  };
}

async function writeArray(path: string, megabytes: number, pretty: boolean): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  let count = 0;
  let buffer = '[\n';
  while (bytes < megabytes * 1024 * 1024) {
    const text = pretty ? JSON.stringify(movie(count), null, 2).replace(/^/gm, '  ') : JSON.stringify(movie(count));
    const piece = (count === 0 ? '' : pretty ? ',\n' : ',') + text;
    buffer += piece;
    bytes += Buffer.byteLength(piece);
    count++;
    if (buffer.length > CHUNK) {
      const written = out.write(buffer);
      buffer = '';
      if (!written) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve, reject) => { out.on('error', reject); out.end(`${buffer}\n]\n`, resolve); });
  return count;
}

async function* chunks(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    for (let position = 0; ;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Keeps the rows of one batch at a time, as a split's reader does. */
class Batches {
  count = 0;
  private rows: unknown[] = [];
  add(row: unknown): void {
    this.rows.push(row);
    this.count++;
    if (this.rows.length === BATCH) this.rows = [];
  }
}

type Method = () => Promise<number>;

async function optional(name: string): Promise<any> {
  try {
    return await import(name);
  } catch {
    return undefined;
  }
}

async function methods(path: string): Promise<Record<string, Method>> {
  const json = formatNamed('json')!;
  const plan = () => json.planSplits(path, { splitBytes: 16 * CHUNK, batchRows: BATCH, options: undefined });
  const splits = await plan();
  const all: Record<string, Method> = {
    'scan (plan)': async () => (await plan()).reduce((sum, split) => sum + (split.rows ?? 0), 0),
    'scan + JSON.parse (read splits)': async () => {
      let rows = 0;
      for (const split of splits) rows += (await json.readSplit(split) as unknown[]).length;
      return rows;
    },
  };
  // The reference: JSON.parse of the whole file at once, which holds all of it (what the format must not do).
  all['JSON.parse of the whole file'] = async () => {
    const chunksRead: Buffer[] = [];
    for await (const chunk of chunks(path)) chunksRead.push(chunk);
    return (JSON.parse(Buffer.concat(chunksRead).toString('utf8')) as unknown[]).length;
  };
  const streamparser = await optional('@streamparser/json');
  if (streamparser) {
    all['@streamparser/json tokens'] = async () => {
      const tokenizer = new streamparser.Tokenizer();
      let tokens = 0;
      tokenizer.onToken = () => { tokens++; };
      for await (const chunk of chunks(path)) tokenizer.write(chunk);
      return tokens;
    };
    all['@streamparser/json rows'] = async () => {
      const parser = new streamparser.JSONParser({ paths: ['$.*'], keepStack: false });
      const rows = new Batches();
      parser.onValue = ({ value }: { value: unknown }) => rows.add(value);
      for await (const chunk of chunks(path)) parser.write(chunk);
      return rows.count;
    };
  }
  const streamJsonParser = await optional('stream-json/core/parser.js');
  const streamJsonArray = await optional('stream-json/core/streamers/stream-array.js');
  const chain = await optional('stream-chain/defs.js');
  if (streamJsonParser && streamJsonArray && chain) {
    const tokensOf = (result: unknown): unknown[] => (result === chain.none ? [] : chain.isMany(result) ? chain.getManyValues(result) : [result]);
    all['stream-json tokens'] = async () => {
      const parse = streamJsonParser.jsonParser({ streamValues: false });
      const decoder = new StringDecoder('utf8');
      let tokens = 0;
      for await (const chunk of chunks(path)) tokens += tokensOf(parse(decoder.write(chunk))).length;
      return tokens + tokensOf(parse(chain.none)).length;
    };
    all['stream-json rows'] = async () => {
      const parse = streamJsonParser.jsonParser({ streamValues: false });
      const elements = streamJsonArray.streamArray();
      const decoder = new StringDecoder('utf8');
      const rows = new Batches();
      const take = (result: unknown) => {
        for (const token of tokensOf(result)) {
          const item = elements(token);
          if (item !== chain.none) rows.add(item.value);
        }
      };
      for await (const chunk of chunks(path)) take(parse(decoder.write(chunk)));
      take(parse(chain.none));
      return rows.count;
    };
  }
  return all;
}

const [megabytes = '200', layout = 'pretty', rounds = '3'] = process.argv.slice(2);
const path = join(tmpdir(), `solstice-json-array-${megabytes}-${layout}.json`);
const count = await writeArray(path, Number(megabytes), layout === 'pretty');
const { size } = await stat(path);
console.log(`${count} elements, ${(size / CHUNK).toFixed(0)} MiB, ${layout}`);
const best = new Map<string, number>();
const all = await methods(path);
for (let round = 0; round < Number(rounds); round++) {
  for (const [name, method] of Object.entries(all)) {
    const started = performance.now();
    const counted = await method();
    const seconds = (performance.now() - started) / 1000;
    best.set(name, Math.min(best.get(name) ?? Infinity, seconds));
    console.log(`round ${round + 1}: ${name}: ${seconds.toFixed(2)} s (${counted} counted)`);
  }
}
for (const [name, seconds] of best) console.log(`${name.padEnd(32)} ${(size / CHUNK / seconds).toFixed(0).padStart(5)} MiB/s  (${seconds.toFixed(2)} s)`);
await rm(path);
