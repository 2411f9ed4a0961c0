import { createRequire } from 'node:module';
import { Field, RecordBatch, Schema, Struct, Table, Type, makeBuilder, makeData, tableFromIPC, type Data, type DataType } from 'apache-arrow';

// LanceDB loads apache-arrow's CommonJS build, so its tables are not instances of this package's (ESM) Arrow classes.
const lanceArrow = createRequire(import.meta.url)('apache-arrow') as {
  Table: new (schema: unknown) => unknown;
  tableToIPC(table: unknown, type?: 'file' | 'stream'): Uint8Array;
};

/** A table LanceDB returned, as this package's Arrow table (through Arrow IPC). */
export function fromLanceTable(table: unknown): Table {
  return tableFromIPC(lanceArrow.tableToIPC(table, 'stream'));
}

/** A schema LanceDB returned (`table.schema()`), as this package's Arrow schema. */
export function fromLanceSchema(schema: unknown): Schema {
  return fromLanceTable(new lanceArrow.Table(schema)).schema;
}

/**
 * A column of some rows that a Lance table's schema cannot take: `tableType`
 * undefined, the table has no such column; `rowsType` undefined, the rows
 * have none; the same type, the rows have nulls where the table's column is
 * not nullable.
 */
export interface SchemaMisfit {
  column: string;
  tableType?: string;
  rowsType?: string;
}

/**
 * The first column of `rows` that a table of `schema` cannot take, or
 * undefined if they fit. The rule of every write of rows to a Lance table:
 * the rows' columns are the table's, each of the same type, except that a
 * column typed Null (no row has a value in it) takes the table's type, and
 * one the rows lack is filled with nulls, both where the table's column is
 * nullable.
 */
export function schemaMisfit(rows: Table | RecordBatch, schema: Schema): SchemaMisfit | undefined {
  const extra = rows.schema.fields.find((field) => !schema.fields.some((own) => own.name === field.name));
  if (extra) return { column: extra.name, rowsType: String(extra.type) };
  for (const field of schema.fields) {
    const column = rows.getChild(field.name);
    if (!column) {
      if (!field.nullable) return { column: field.name, tableType: String(field.type) };
      continue;
    }
    const typed = column.type.typeId !== Type.Null;
    if (typed && String(column.type) !== String(field.type)) return { column: field.name, tableType: String(field.type), rowsType: String(column.type) };
    if (!field.nullable && column.nullCount > 0) return { column: field.name, tableType: String(field.type), rowsType: String(column.type) };
  }
  return undefined;
}

/**
 * The schema of a table made of rows of `schemas`: every column any of them
 * has, in the order they first appear, typed as the first that has a value
 * in it types it, and nullable (a later checkpoint's rows may have no value).
 */
export function unifiedSchema(schemas: readonly Schema[]): Schema {
  const names = [...new Set(schemas.flatMap((schema) => schema.fields.map((field) => field.name)))];
  const fields = names.map((name) => {
    const all = schemas.map((schema) => schema.fields.find((field) => field.name === name)).filter((field) => field !== undefined);
    const field = all.find((one) => one.typeId !== Type.Null) ?? all[0]!;
    return field.clone({ nullable: true });
  });
  return new Schema(fields, schemas[0]?.metadata);
}

/** `schema` with each column typed Null (no value yet) typed as `rows` type it, where they have a value. */
export function typedBy(schema: Schema, rows: Schema): Schema {
  const fields = schema.fields.map((field) => {
    if (field.typeId !== Type.Null) return field;
    const typed = rows.fields.find((other) => other.name === field.name && other.typeId !== Type.Null);
    return typed ? new Field(field.name, typed.type, field.nullable, field.metadata) : field;
  });
  return new Schema(fields, schema.metadata);
}

/**
 * Tables of rows meant for one Lance table, as one table of `schema`. Each
 * must fit it (`schemaMisfit`); a column typed Null, or missing, in a part
 * takes the schema's type, as all nulls.
 */
export function concatToSchema(parts: readonly { name: string; table: Table }[], schema: Schema): Table {
  const batches: RecordBatch[] = [];
  for (const { name, table } of parts) {
    for (const batch of table.batches) batches.push(conform(batch, schema, name));
  }
  return new Table(schema, batches);
}

function conform(batch: RecordBatch, schema: Schema, part: string): RecordBatch {
  const misfit = schemaMisfit(batch, schema);
  if (misfit) throw new TypeError(`${part} does not fit the table at column '${misfit.column}' (${misfit.rowsType ?? 'missing'}, where the table has ${misfit.tableType ?? 'none'})`);
  const children = schema.fields.map((field: Field) => {
    const column = batch.getChild(field.name);
    // A column no row of this part had a value for.
    if (!column || column.type.typeId === Type.Null) return nulls(field.type, batch.numRows);
    return column.data[0]!;
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
}

/** `length` nulls of `type`, with every buffer the type has (a reader of Arrow IPC wants them, values or not). */
function nulls(type: DataType, length: number): Data {
  const builder = makeBuilder({ type, nullValues: [null] });
  for (let row = 0; row < length; row++) builder.append(null);
  return builder.finish().flush();
}
