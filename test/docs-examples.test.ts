/**
 * Every TypeScript example in README.md and docs/*.md compiles under
 * `strict` against the package's published types, as an application that
 * installed solstice-node would compile it; the README's library example
 * runs end to end on a small input.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { appFolder, blockSource, codeBlocks, documentationFiles, inDocLines, transpile, typeCheck, type DocBlock } from './support/doc-blocks.js';

const blocks: DocBlock[] = documentationFiles().flatMap((doc) => codeBlocks(doc, 'ts'));
const checked = blocks.filter((block) => block.skip === undefined);
const readmeExample = blocks.find((block) => block.doc === 'README.md' && block.code.includes('createRunner().run()'));

/** One program for every block (and the controls below): compiling is the slow part. */
const diagnostics = (async () => {
  const app = await appFolder('solstice-docs-');
  const controls = readmeExample ? [
    { name: 'control_untyped_rows.ts', text: readmeExample.code.replace('MapOperator<Order, PricedOrder>', 'MapOperator') },
    { name: 'control_misspelt_field.ts', text: readmeExample.code.replace('row.total > minTotal', 'row.totl > minTotal') },
  ] : [];
  return typeCheck(app, [...checked.map(blockSource), ...controls]);
})();

test('the documentation has TypeScript examples, and skips checking few of them', (t) => {
  t.true(checked.length >= 8, `found ${checked.length} checked blocks`);
  t.truthy(readmeExample, 'README.md has the library example that runs a job');
  const skipped = blocks.filter((block) => block.skip !== undefined);
  t.true(skipped.length <= 1, `skipped: ${skipped.map((b) => `${b.doc}:${b.line}`).join(', ')}`);
});

for (const block of checked) {
  test(`${block.doc}:${block.line} compiles with tsc --strict against the package's types`, async (t) => {
    const found = (await diagnostics).get(blockSource(block).name)!;
    t.deepEqual(inDocLines(block, found), []);
  });
}

test('the check fails where a user would: untyped rows are unknown, a misspelt field does not exist', async (t) => {
  const all = await diagnostics;
  t.true(all.get('control_untyped_rows.ts')!.some((d) => /TS18046 'row\.(price|qty)' is of type 'unknown'/.test(d)), all.get('control_untyped_rows.ts')!.join('\n'));
  t.true(all.get('control_misspelt_field.ts')!.some((d) => /TS2551 Property 'totl' does not exist on type 'PricedOrder'/.test(d)), all.get('control_misspelt_field.ts')!.join('\n'));
});

interface Order {
  order_id: number;
  price: number;
  qty: number;
}

/** Orders by a formula: prices 0.00 to 49.99, quantities 1 to 7. */
function orders(from: number, count: number): Order[] {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return { order_id: id, price: ((id * 3137) % 5000) / 100, qty: 1 + (id % 7) };
  });
}

test("README's library example runs in an application folder and writes the orders over 100, with their totals, as Parquet", async (t) => {
  const app = await appFolder('solstice-readme-');
  await mkdir(join(app, 'in'));
  const input = [orders(1, 300), orders(301, 200)];
  await writeFile(join(app, 'in', 'a.jsonl'), input[0]!.map((o) => JSON.stringify(o)).join('\n') + '\n');
  await writeFile(join(app, 'in', 'b.jsonl'), input[1]!.map((o) => JSON.stringify(o)).join('\n') + '\n');
  await writeFile(join(app, 'example.mjs'), transpile(readmeExample!.code));

  const { stdout } = await promisify(execFile)(process.execPath, ['example.mjs'], { cwd: app });

  const expected = input.flat().map((o) => ({ ...o, total: o.price * o.qty })).filter((o) => o.total > 100);
  t.true(expected.length > 50 && expected.length < 450, 'the data has orders on both sides of 100');
  t.is(stdout.trim(), `orders: ${expected.length} orders written`);
  const written: Record<string, unknown>[] = [];
  for (const name of (await readdir(join(app, 'out'))).filter((n) => n.endsWith('.parquet'))) {
    written.push(...await parquetReadObjects({ file: await asyncBufferFromFile(join(app, 'out', name)) }));
  }
  written.sort((a, b) => Number(a.order_id) - Number(b.order_id));
  t.deepEqual(written, expected);
});
