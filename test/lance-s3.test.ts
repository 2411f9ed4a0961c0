import test from 'ava';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileSource, Job, LanceSink, LanceTableSource, MapOperator, Stage } from '../lib/index.js';
import { cephUnavailableReason, startCephS3Gateway, type S3Gateway } from './support/ceph-s3-gateway.js';
import { CollectSink, collected } from './support/collect-sink.js';
import { isolatedState, tempDir, writeIdFiles } from './support/files.js';
import { columnSorted, openLance, range, stagedTables } from './support/lance-tables.js';
import { needing } from './support/requirements.js';
import { killAndResumeLance } from './support/lance-chaos-run.js';

const unavailable = cephUnavailableReason();
const s3Test = needing(unavailable, test.serial);

let gateway: S3Gateway;
let storageOptions: Record<string, string>;

test.before(async () => {
  if (unavailable) return;
  gateway = await startCephS3Gateway();
  const client = new S3Client({
    region: 'us-east-1', endpoint: gateway.endpoint, forcePathStyle: true,
    credentials: { accessKeyId: gateway.accessKeyId, secretAccessKey: gateway.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: 'lance' }));
  storageOptions = {
    aws_access_key_id: gateway.accessKeyId, aws_secret_access_key: gateway.secretAccessKey,
    aws_endpoint: gateway.endpoint, aws_region: 'us-east-1', allow_http: 'true',
  };
});

test.after.always(async () => {
  await gateway?.stop();
});

s3Test('on the S3 gateway, two LanceSink workers write a table in checkpoint commits and LanceTableSource reads it back', async (t) => {
  const dir = await tempDir();
  await writeIdFiles(dir, 3, 3000);
  const uri = 's3://lance/tables/ids.lance';

  const write = new Job({ jobId: 'lance-s3-write', checkpointIntervalRecords: 3000, checkpointIntervalSecs: 0 });
  write.addStage(new Stage('source', FileSource, { paths: join(dir, 'in'), format: 'jsonl', batchRows: 500 }, 1));
  write.addStage(new Stage('sink', LanceSink, { uri, storageOptions }, 2), ['source']);
  await write.createRunner(isolatedState()).run();
  const table = await openLance(uri, storageOptions);
  t.deepEqual(await columnSorted(table, 'id'), range(0, 9000));
  t.true((await table.listVersions()).length >= 3, 'several checkpoint commits');
  t.deepEqual(await stagedTables(uri, storageOptions), []);

  const read = new Job({ jobId: 'lance-s3-read' });
  read.addStage(new Stage('ids', LanceTableSource, { uri, storageOptions, filter: 'id % 3 = 0', batchRows: 1000 }, 2));
  read.addStage(new Stage('collect', CollectSink, { name: 'lance-s3' }, 1), ['ids']);
  await read.createRunner(isolatedState()).run();
  t.deepEqual(collected.get('lance-s3')!.map((row) => Number(row.id)).sort((a, b) => a - b), range(0, 9000).filter((id) => id % 3 === 0));
});

s3Test('on the S3 gateway too, a job writing a Lance table with two writers, SIGKILLed and resumed, holds every record exactly once', async (t) => {
  await killAndResumeLance(t, { uri: 's3://lance/chaos/ids.lance', storageOptions, kills: 2 });
});

s3Test('on the S3 gateway, the dead letters of two stages, each with two workers, go to one Lance table: one row per bad record, none lost to concurrent commits', async (t) => {
  const dir = await tempDir();
  const perFile = 1000;
  await writeIdFiles(dir, 2, perFile);
  // Every 50th line of each file broken (a source dead letter); of the others, every id divisible by 13 refused (a check one).
  const broken = (id: number) => id % 50 === 7;
  const refused = (id: number) => !broken(id) && id % 13 === 0;
  for (const f of [0, 1]) {
    const file = join(dir, 'in', `part-${f}.jsonl`);
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    await writeFile(file, `${lines.map((line) => (broken(Number(JSON.parse(line).id)) ? line.slice(0, -1) : line)).join('\n')}\n`);
  }
  const uri = 's3://lance/dead-letters/letters.lance';
  const job = new Job({ jobId: 'lance-s3-dead', deadLetter: { uri, storageOptions }, checkpointIntervalRecords: 400, checkpointIntervalSecs: 0 });
  job.addStage(new Stage('source', FileSource, { paths: join(dir, 'in'), format: 'jsonl', batchRows: 100 }, 2, { onError: 'dead-letter' }));
  job.addStage(new Stage('check', MapOperator, {
    fn: (row) => {
      if (Number(row.id) % 13 === 0) throw new Error(`id ${String(row.id)} is refused`);
      return row;
    },
  }, 2, { onError: 'dead-letter' }), ['source']);
  job.addStage(new Stage('collect', CollectSink, { name: 'lance-s3-dead' }, 1), ['check']);
  const summary = await job.createRunner(isolatedState()).run();

  const all = range(0, 2 * perFile);
  const rows = await (await openLance(uri, storageOptions)).query().toArray();
  const idOf = (record: unknown) => Number(/"?id"?:\s*(\d+)/.exec(String(record))![1]);
  t.deepEqual(rows.filter((row) => row.stage === 'source').map((row) => idOf(row.record)).sort((a, b) => a - b), all.filter(broken));
  t.deepEqual(rows.filter((row) => row.stage === 'check').map((row) => idOf(row.record)).sort((a, b) => a - b), all.filter(refused));
  t.true(rows.every((row) => row.job === 'lance-s3-dead' && (row.stage === 'source' ? row.error === 'InputFormatError' : row.error === 'RowFunctionError')));
  t.is(new Set(rows.map((row) => row.id)).size, rows.length, 'each letter once');
  t.deepEqual(collected.get('lance-s3-dead')!.map((row) => Number(row.id)).sort((a, b) => a - b), all.filter((id) => !broken(id) && !refused(id)));
  t.deepEqual(summary.deadLetters, { path: uri, count: all.filter((id) => broken(id) || refused(id)).length });
  t.deepEqual(await stagedTables(uri, storageOptions), [], 'nothing left staged');
});
