import type * as lancedb from '@lancedb/lancedb';
import { OperatorConfigError, TableError, TableNotFoundError, describeCause } from '../../lib/errors/index.js';
import { SourceOperator } from '../../lib/operator.js';
import type { DataRange, Split } from '../../lib/split.js';
import { SplitPayload } from '../../lib/split-payload.js';
import { fromLanceTable } from '../lance/lance-arrow.js';
import { lanceLocation, openTableAt, type LanceLocation, type StorageOptions } from '../lance/lance-location.js';

export interface LanceTableSourceConfig {
  /** The table's location: a path or an object store URI ending in its folder (`data/videos.lance`, `s3://bucket/videos.lance`). */
  uri: string;
  /** The columns to read (pushed down to Lance: the others are never read). Default: every column. */
  columns?: string[];
  /** A SQL filter Lance applies as it reads (`size > 1000 AND kind = 'mp4'`). */
  filter?: string;
  /** Most rows per split. Default 65536; a fragment with more is read as several row ranges. */
  batchRows?: number;
  /** Object store credentials and endpoint, as LanceDB takes them (`aws_access_key_id`, `aws_endpoint`, `allow_http`, ...). */
  storageOptions?: StorageOptions;
}

/** One split's rows: row offsets `[start, end)` of one fragment of the table's version `version`. */
export interface LanceRange extends DataRange {
  version: number;
  fragment: number;
  start: number;
  end: number;
  /** Rows the range held when planned (deleted rows left out). */
  rows: number;
  stream: string;
}

const DEFAULT_BATCH_ROWS = 64 * 1024;

/**
 * Reads a Lance table, pinned to the version that was current when the job
 * planned its splits, so that rows added or deleted while it runs (or before
 * a restore) do not change what it reads. Each split is a range of row
 * offsets inside one fragment (Lance row ids are `fragment << 32 | offset`),
 * so split ids are stable across runs of one version and never collide
 * across fragments; a fragment over `batchRows` rows is read as several
 * ranges. The projection and the filter go down to Lance.
 */
export class LanceTableSource extends SourceOperator<LanceTableSourceConfig> {
  private readonly location: LanceLocation;
  private readonly batchRows: number;
  private pinned: { version: number; table: Promise<lancedb.Table> } | undefined;

  constructor(config: LanceTableSourceConfig, context: ConstructorParameters<typeof SourceOperator>[1]) {
    super(config, context);
    this.location = lanceLocation(config?.uri, config?.storageOptions, 'LanceTableSource');
    this.batchRows = config.batchRows ?? DEFAULT_BATCH_ROWS;
    if (!Number.isSafeInteger(this.batchRows) || this.batchRows < 1) throw new OperatorConfigError(`LanceTableSource batchRows must be a positive integer, got ${String(config.batchRows)}`);
    if (config.columns !== undefined && (!Array.isArray(config.columns) || config.columns.some((column) => typeof column !== 'string'))) {
      throw new OperatorConfigError('LanceTableSource columns must be a list of column names');
    }
  }

  async planSplits(): Promise<LanceRange[]> {
    const table = await openTableAt(this.location);
    if (!table) throw new TableNotFoundError(this.location.uri);
    const version = await table.version();
    // Row ids only: Lance reads no column for them.
    const ids = await table.query().withRowId().select([]).toArrow();
    const offsets = new Map<number, number[]>();
    for (const chunk of ids.getChild('_rowid')!.data) {
      const values = chunk.values as BigUint64Array;
      for (let i = 0; i < chunk.length; i++) {
        const id = values[i]!;
        const fragment = Number(id >> 32n);
        let list = offsets.get(fragment);
        if (!list) offsets.set(fragment, (list = []));
        list.push(Number(id & 0xffffffffn));
      }
    }
    const ranges: LanceRange[] = [];
    for (const fragment of [...offsets.keys()].sort((a, b) => a - b)) {
      const live = offsets.get(fragment)!.sort((a, b) => a - b);
      for (let i = 0; i < live.length; i += this.batchRows) {
        const last = Math.min(i + this.batchRows, live.length) - 1;
        ranges.push({ version, fragment, start: live[i]!, end: live[last]! + 1, rows: last - i + 1, stream: `fragment-${fragment}` });
      }
    }
    return ranges;
  }

  override cutRange(range: DataRange, fraction: number): [LanceRange, LanceRange] | undefined {
    const whole = range as LanceRange;
    const at = whole.start + Math.round((whole.end - whole.start) * fraction);
    if (at <= whole.start || at >= whole.end) return undefined;
    const firstRows = Math.round(whole.rows * fraction);
    return [{ ...whole, end: at, rows: firstRows }, { ...whole, start: at, rows: whole.rows - firstRows }];
  }

  async processSplit(split: Split): Promise<SplitPayload | null> {
    const range = split.range as LanceRange;
    const table = await this.tableAt(range.version);
    const first = (BigInt(range.fragment) << 32n) + BigInt(range.start);
    const end = (BigInt(range.fragment) << 32n) + BigInt(range.end);
    const inRange = `_rowid >= ${first} AND _rowid < ${end}`;
    let query = table.query().where(this.config.filter ? `${inRange} AND (${this.config.filter})` : inRange);
    if (this.config.columns) query = query.select(this.config.columns);
    let rows;
    try {
      rows = fromLanceTable(await query.toArrow());
    } catch (error) {
      throw new TableError(this.location.uri, `Reading Lance table '${this.location.uri}' (version ${range.version}, fragment ${range.fragment}, rows ${range.start}-${range.end - 1}) failed: ${describeCause(error)}`, { cause: error });
    }
    return rows.numRows === 0 ? null : SplitPayload.fromTable(rows, split.splitId);
  }

  /** The table as of `version`, opened once per worker. */
  private tableAt(version: number): Promise<lancedb.Table> {
    if (this.pinned?.version !== version) {
      const table = openTableAt(this.location).then(async (opened) => {
        if (!opened) throw new TableNotFoundError(this.location.uri);
        await opened.checkout(version);
        return opened;
      });
      this.pinned = { version, table };
    }
    return this.pinned.table;
  }
}
