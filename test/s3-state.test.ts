import test from 'ava';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3StateBackend } from '../state/s3-state-backend.js';
import { cephUnavailableReason, startCephS3Gateway, type S3Gateway } from './support/ceph-s3-gateway.js';
import { needing } from './support/requirements.js';
import { checkStateBackendContract, checkStateBackendFailures } from './support/state-backend-contract.js';
import { killAndResumeUntilDone, runThroughOutage } from './support/chaos-run.js';

const unavailable = cephUnavailableReason();
const s3Test = needing(unavailable, test.serial);

let gateway: S3Gateway;

test.before(async () => {
  if (unavailable) return;
  gateway = await startCephS3Gateway();
  process.env.AWS_ACCESS_KEY_ID = gateway.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = gateway.secretAccessKey;
  process.env.AWS_REGION = 'us-east-1';
  const client = new S3Client({ region: 'us-east-1', endpoint: gateway.endpoint, forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: 'solstice-state' }));
});

test.after.always(async () => {
  await gateway?.stop();
});

const stateUrl = (prefix: string) => `s3://solstice-state/${prefix}?endpoint=${encodeURIComponent(gateway.endpoint)}`;

s3Test('the S3 backend writes whole objects, binary intact, publishes only once, lists and deletes by prefix', async (t) => {
  const backend = new S3StateBackend(stateUrl('contract'));
  await checkStateBackendContract(t, backend, 'the server refuses a second publish (412)');
});

s3Test('on a bucket that does not exist every operation fails with a StateBackendError naming the operation and the object key; a read is not taken for a missing key', async (t) => {
  const backend = new S3StateBackend(`s3://no-such-bucket/state?endpoint=${encodeURIComponent(gateway.endpoint)}`);
  await checkStateBackendFailures(t, backend, /NoSuchBucket/);
  const error = await t.throwsAsync(backend.read('job/a.json'));
  t.is(error!.message, `S3 bucket no-such-bucket at ${gateway.endpoint}: read state/job/a.json failed: NoSuchBucket: ${(error!.cause as Error).message}`);
});

s3Test('with its state on S3, a job SIGKILLed and resumed writes every record exactly once', async (t) => {
  await killAndResumeUntilDone(t, { stateBackend: stateUrl('chaos'), kills: 3, killWindowMs: [300, 1000] });
});

s3Test('while the S3 gateway is down checkpoints fail with a log line and the job goes on; it completes once S3 is back', async (t) => {
  await runThroughOutage(t, { stateBackend: stateUrl('outage'), stopServer: () => gateway.stopGateway(), startServer: () => gateway.startGateway(), failure: /ECONNREFUSED/ });
});
