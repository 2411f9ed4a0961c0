import type { S3Client } from '@aws-sdk/client-s3';
import { StateBackendError, StateLocationError } from '../lib/errors/index.js';
import type { StateBackend } from './state-backend.js';

/**
 * An S3 bucket (AWS or any S3-compatible server), at `s3://bucket/prefix`.
 * Query parameters: `endpoint` (e.g. `http://127.0.0.1:7480`, which also
 * turns on path-style addressing) and `region`. Credentials come from the
 * SDK's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, ...);
 * `AWS_ENDPOINT_URL_S3` works as well as the query parameter.
 * A PUT replaces an object whole, so every write is atomic; `writeIfAbsent`
 * sends `If-None-Match: *`, which the server refuses with 412 if the key exists.
 * The AWS SDK is loaded on first use, so jobs with local state never load it.
 * An SDK error rejects as a StateBackendError naming the operation and the
 * object key, with the SDK's error as its cause.
 */
export class S3StateBackend implements StateBackend {
  readonly url: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpoint: string | undefined;
  private readonly region: string;
  private sdk: Promise<{ client: S3Client; s3: typeof import('@aws-sdk/client-s3') }> | undefined;

  constructor(url: string) {
    const parsed = new URL(url);
    if (parsed.protocol !== 's3:' || !parsed.hostname) throw new StateLocationError(url, 'expected s3://bucket/prefix');
    this.url = url;
    this.bucket = parsed.hostname;
    this.prefix = parsed.pathname.replace(/^\/+/, '').replace(/\/*$/, '');
    this.endpoint = parsed.searchParams.get('endpoint') ?? process.env.AWS_ENDPOINT_URL_S3 ?? undefined;
    this.region = parsed.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1';
  }

  private connect() {
    this.sdk ??= import('@aws-sdk/client-s3').then((s3) => ({
      s3,
      client: new s3.S3Client({ region: this.region, endpoint: this.endpoint, forcePathStyle: this.endpoint !== undefined, maxAttempts: 3 }),
    }));
    return this.sdk;
  }

  async write(key: string, data: Uint8Array | string): Promise<void> {
    const { client, s3 } = await this.connect();
    try {
      await client.send(new s3.PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Body: data }));
    } catch (error) {
      throw this.failure('write', this.keyOf(key), error);
    }
  }

  async writeIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> {
    const { client, s3 } = await this.connect();
    try {
      await client.send(new s3.PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Body: data, IfNoneMatch: '*' }));
      return true;
    } catch (error) {
      if (error instanceof s3.S3ServiceException && error.$metadata.httpStatusCode === 412) return false;
      throw this.failure('write', this.keyOf(key), error);
    }
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const { client, s3 } = await this.connect();
    try {
      const object = await client.send(new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      return await object.Body!.transformToByteArray();
    } catch (error) {
      if (isMissingObject(error, s3)) return undefined;
      throw this.failure('read', this.keyOf(key), error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const { client, s3 } = await this.connect();
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(new s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.keyOf(prefix), ContinuationToken: token }));
        for (const object of page.Contents ?? []) keys.push(object.Key!.slice(this.base.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.failure('list', this.keyOf(prefix), error);
    }
    return keys.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    const { client, s3 } = await this.connect();
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((key) => this.keyOf(key));
      let reply;
      try {
        reply = await client.send(new s3.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      } catch (error) {
        throw this.failure('delete', this.keyOf(prefix), error);
      }
      // A quiet DeleteObjects answers 200 and lists only the objects it could not delete.
      const refused = reply.Errors?.[0];
      if (refused) throw this.failure('delete', refused.Key ?? this.keyOf(prefix), new Error(`${refused.Code}: ${refused.Message}`));
    }
  }

  private failure(operation: string, objectKey: string, cause: unknown): StateBackendError {
    const where = this.endpoint ? `${this.bucket} at ${this.endpoint}` : this.bucket;
    return new StateBackendError(this.url, operation, objectKey, `S3 bucket ${where}: ${operation} ${objectKey} failed: ${describeSdkError(cause)}`, { cause });
  }

  private get base(): string {
    return this.prefix ? `${this.prefix}/` : '';
  }

  private keyOf(key: string): string {
    return `${this.base}${key}`;
  }
}

/** A GetObject that found no object under the key; a missing bucket is a failure, not an absence. */
function isMissingObject(error: unknown, s3: typeof import('@aws-sdk/client-s3')): boolean {
  if (error instanceof s3.NoSuchKey) return true;
  return error instanceof s3.S3ServiceException && error.$metadata.httpStatusCode === 404 && error.name !== 'NoSuchBucket';
}

/**
 * The SDK's error as a user reads it: the S3 error code with its message
 * (`NoSuchBucket: The specified bucket does not exist`), or the network
 * error's code and message, which a connection refused on every address
 * leaves empty on an AggregateError.
 */
function describeSdkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code ?? (error.name === 'Error' ? undefined : error.name);
  const inner = error instanceof AggregateError ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))) : [];
  const message = error.message || inner.join('; ');
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
