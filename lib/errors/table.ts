import { SolsticeError, registerErrorClasses } from './base.js';

/** A Lance table a job reads or commits to is missing, or is not the table the job expects. */
export class TableError extends SolsticeError {
  override readonly name: string = 'TableError';

  constructor(readonly uri: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    return { uri: this.uri };
  }
}

/** A Lance table a source reads does not exist. */
export class TableNotFoundError extends TableError {
  override readonly name: string = 'TableNotFoundError';

  constructor(uri: string) {
    super(uri, `Lance table not found: '${uri}'`);
  }
}

/**
 * A sink could not commit a checkpoint's rows to its table, or cannot tell
 * whether an earlier try did: the table changed under it, or a worker's
 * staged rows are out of the committer's reach.
 */
export class TableCommitError extends TableError {
  override readonly name: string = 'TableCommitError';

  constructor(uri: string, readonly checkpointId: number, why: string) {
    super(uri, `Cannot commit checkpoint ${checkpointId} to Lance table '${uri}': ${why}`);
  }

  override details(): Record<string, unknown> {
    return { uri: this.uri, checkpointId: this.checkpointId };
  }
}

/**
 * Rows a LanceSink was given cannot go into its table: they have a column
 * the table has not, a column of another type, or no value (the column
 * missing, or nulls) where the table's column is not nullable. `tableType`
 * is undefined when the table has no such column, `rowsType` when the rows
 * have none. Thrown while the stage processes the split, so the stage's
 * `onError` applies to it.
 */
export class TableSchemaError extends TableError {
  override readonly name: string = 'TableSchemaError';
  /** What brought the rows: `split '<id>'`, or a staged part. */
  readonly rows: string;
  readonly column: string;
  readonly tableType: string | undefined;
  readonly rowsType: string | undefined;
  /** For a table the job's first commit will create: what gave it its columns. */
  readonly createdFrom: string | undefined;

  constructor(uri: string, misfit: { rows: string; column: string; tableType?: string; rowsType?: string; createdFrom?: string }) {
    const { rows, column, tableType, rowsType, createdFrom } = misfit;
    const table = createdFrom ? `Lance table '${uri}' (not created yet: it takes the columns of ${createdFrom})` : `Lance table '${uri}'`;
    let why: string;
    if (tableType === undefined) why = `they have column '${column}' (${rowsType}), which the table has not`;
    else if (rowsType === undefined) why = `they have no column '${column}', and the table's (${tableType}) is not nullable`;
    else if (rowsType === tableType || rowsType === 'Null') why = `column '${column}' has nulls, and the table's (${tableType}) is not nullable`;
    else why = `column '${column}' is ${rowsType} in them, where the table has ${tableType}`;
    super(uri, `The rows of ${rows} cannot go into ${table}: ${why}`);
    this.rows = rows;
    this.column = column;
    this.tableType = tableType;
    this.rowsType = rowsType;
    this.createdFrom = createdFrom;
  }

  override details(): Record<string, unknown> {
    return { uri: this.uri, rows: this.rows, column: this.column, tableType: this.tableType, rowsType: this.rowsType, createdFrom: this.createdFrom };
  }
}

registerErrorClasses({ TableError, TableNotFoundError, TableCommitError, TableSchemaError });
