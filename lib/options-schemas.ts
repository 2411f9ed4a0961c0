/**
 * What the Job and Stage options may hold, as zod schemas: an unknown option
 * or a value out of range is refused by name (lib/option-check.ts) before
 * any actor starts.
 */
import { z } from 'zod';

const seconds = (atLeastZero: boolean) =>
  z.number({ error: atLeastZero ? 'a number of seconds, 0 or more' : 'a number of seconds above 0' })
    .refine((value) => Number.isFinite(value) && (atLeastZero ? value >= 0 : value > 0), { error: atLeastZero ? 'a number of seconds, 0 or more' : 'a number of seconds above 0' });

const count = (least: number) =>
  z.number({ error: `a whole number, ${least} or more` }).int({ error: `a whole number, ${least} or more` }).min(least, { error: `a whole number, ${least} or more` });

export const supervisionSchema = z.strictObject({
  maxRestarts: count(0).optional(),
  withinSecs: seconds(false).optional(),
  heartbeatTimeoutSecs: seconds(false).optional(),
  failover: z.enum(['worker', 'job'], { error: "'worker' or 'job'" }).optional(),
}, { error: 'an object of supervision options' });

export const jobOptionsSchema = z.strictObject({
  jobId: z.string({ error: 'a non-empty string' })
    .min(1, { error: 'a non-empty string' })
    .refine((id) => !/[/\\]|^\.\.?$/.test(id), { error: "a name without '/' or '\\' (it names folders), not '.' or '..'" }),
  checkpointIntervalSecs: seconds(true).optional(),
  checkpointIntervalRecords: count(0).optional(),
  maxBufferedSplits: count(1).optional(),
  stateBackend: z.string({ error: 'a path or URL' }).min(1, { error: 'a path or URL' }).optional(),
  retainCheckpoints: count(1).optional(),
  retainRuns: count(1).optional(),
  finalCheckpointRetrySecs: seconds(true).optional(),
  supervision: supervisionSchema.optional(),
  chain: z.boolean({ error: 'true or false' }).optional(),
  maxWorkers: count(1).optional(),
  deadLetter: z.strictObject({
    path: z.string({ error: 'a folder' }).min(1, { error: 'a folder' }).optional(),
    uri: z.string({ error: 'a Lance table\'s URI' }).min(1, { error: 'a Lance table\'s URI' }).optional(),
    format: z.enum(['jsonl', 'csv', 'parquet', 'lance'], { error: "'jsonl', 'csv', 'parquet' or 'lance'" }).optional(),
    storageOptions: z.record(z.string(), z.string(), { error: 'an object of strings' }).optional(),
  }, { error: 'an object: { path | uri, format?, storageOptions? }' })
    .refine((value) => (value.path === undefined) !== (value.uri === undefined), { error: 'an object with a path or a uri, one of them' })
    .optional(),
}, { error: 'an object of Job options' });

export const stageOptionsSchema = z.strictObject({
  maxBufferedSplits: count(1).optional(),
  supervision: supervisionSchema.optional(),
  chain: z.boolean({ error: 'true or false' }).optional(),
  errorOutput: z.boolean({ error: 'true or false' }).optional(),
  onError: z.enum(['fail', 'skip', 'dead-letter'], { error: "'fail', 'skip' or 'dead-letter'" }).optional(),
  maxRetries: count(0).optional(),
  splitTimeoutSecs: seconds(false).optional(),
}, { error: 'an object of Stage options' });
