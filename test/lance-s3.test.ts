import test from 'ava';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { ArgumentError, FileSource, Job, LanceSink, LanceTableSource, Stage } from '../lib/index.js';
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

s3Test('dead letters in a Lance table on an object store are refused before the job runs: its workers would commit at once', async (t) => {
  const dir = await tempDir();
  await writeIdFiles(dir, 1, 100);
  const uri = 's3://lance/dead-letters/letters.lance';
  const job = new Job({ jobId: 'lance-s3-dead', deadLetter: { uri, storageOptions } });
  job.addStage(new Stage('source', FileSource, { paths: join(dir, 'in'), format: 'jsonl' }, 2, { onError: 'dead-letter' }));
  job.addStage(new Stage('collect', CollectSink, { name: 'lance-s3-dead' }, 1), ['source']);
  await t.throwsAsync(job.createRunner(isolatedState()).run(), {
    instanceOf: ArgumentError, message: /^Dead letters in a Lance table on an object store \('s3:\/\/lance\/dead-letters\/letters\.lance'\) are not supported yet/,
  });
  t.is(collected.get('lance-s3-dead'), undefined, 'nothing ran');
});
