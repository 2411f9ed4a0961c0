import type { IncomingMessage } from 'node:http';
import type { RestoreRequest } from '../../lib/index.js';
import { RequestBodyError } from './request-errors.js';

/** What `POST /jobs` takes, as JSON. */
export interface JobSubmission {
  /** The job's id: its checkpoints (and simple_etl's default output) are kept under it. */
  jobId: string;
  /** A built-in workflow's name (`simple_etl`), or the name of a module the service was given. */
  workflow: string;
  /** The workflow's config, as its `createJob` takes it (camelCase: `minTotal`); default none. */
  config: Record<string, unknown>;
  /** Where the job resumes: 'auto' (default: its latest checkpoint, unless it completed), 'latest', 'none' or a checkpoint id. */
  restore: RestoreRequest;
}

const FIELDS: readonly string[] = ['jobId', 'workflow', 'config', 'restore'];

/** Larger bodies are refused: a submission names a workflow and its options, not data. */
const MAX_BODY_BYTES = 1 << 20;

/** The request's body as a submission; RequestBodyError naming what is wrong with it. */
export async function readSubmission(request: IncomingMessage): Promise<JobSubmission> {
  return submissionOf(parseJson(await readBody(request)));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) throw new RequestBodyError(`The body is over ${MAX_BODY_BYTES} bytes; a submission names a workflow and its config`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestBodyError(`The body is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

export function submissionOf(body: unknown): JobSubmission {
  if (!isObject(body)) throw new RequestBodyError(`The body must be a JSON object { "jobId", "workflow", "config"?, "restore"? }, got ${describe(body)}`);
  const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) throw new RequestBodyError(`Unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}; a submission has ${FIELDS.map((key) => `"${key}"`).join(', ')}`);
  const { jobId, workflow, config = {}, restore = 'auto' } = body;
  if (typeof jobId !== 'string' || jobId === '') throw new RequestBodyError(`"jobId" must be a non-empty string, got ${describe(jobId)}`);
  if (typeof workflow !== 'string' || workflow === '') throw new RequestBodyError(`"workflow" must be a workflow's name, got ${describe(workflow)}`);
  if (!isObject(config)) throw new RequestBodyError(`"config" must be an object of the workflow's options, got ${describe(config)}`);
  return { jobId, workflow, config, restore: restoreOf(restore) };
}

function restoreOf(value: unknown): RestoreRequest {
  if (value === 'auto' || value === 'latest' || value === 'none') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new RequestBodyError(`"restore" must be "auto", "latest", "none" or a checkpoint id, got ${describe(value)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'an array' : JSON.stringify(value);
}
