import { createRequire } from 'node:module';
import { RecordBatch, Schema, Struct, Table, Type, makeData, tableFromIPC, type Field } from 'apache-arrow';

// LanceDB loads apache-arrow's CommonJS build, so its tables are not instances of this package's (ESM) Arrow classes.
const lanceArrow = createRequire(import.meta.url)('apache-arrow') as { tableToIPC(table: unknown, type?: 'file' | 'stream'): Uint8Array };

/** A table LanceDB returned, as this package's Arrow table (through Arrow IPC). */
export function fromLanceTable(table: unknown): Table {
  return tableFromIPC(lanceArrow.tableToIPC(table, 'stream'));
}

/**
 * Tables of rows meant for one Lance table, as one table of `schema`: a
 * column typed Null in one part (no value in that part's rows) takes the
 * schema's type, as all nulls; any other difference is an error naming the
 * column and both types.
 */
export function concatToSchema(parts: readonly { name: string; table: Table }[], schema: Schema): Table {
  const batches: RecordBatch[] = [];
  for (const { name, table } of parts) {
    for (const batch of table.batches) batches.push(conform(batch, schema, name));
  }
  return new Table(schema, batches);
}

function conform(batch: RecordBatch, schema: Schema, part: string): RecordBatch {
  const extra = batch.schema.fields.find((field) => !schema.fields.some((own) => own.name === field.name));
  if (extra) throw new TypeError(`${part} has column '${extra.name}', which the table has not`);
  const children = schema.fields.map((field: Field) => {
    const column = batch.getChild(field.name);
    // A column no row of this part had a value for.
    if (!column || column.type.typeId === Type.Null) return makeData({ type: field.type, length: batch.numRows, nullCount: batch.numRows });
    if (String(column.type) !== String(field.type)) throw new TypeError(`column '${field.name}' of ${part} is ${String(column.type)}, where the table has ${String(field.type)}`);
    return column.data[0]!;
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
}
