import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { userInfo } from 'node:os';
import { Readable } from 'node:stream';
import type { ClientRequest, FileStatus, WebHDFSClient } from 'webhdfs';
import { StateBackendError, StateLocationError } from '../lib/errors/index.js';
import type { StateBackend } from './state-backend.js';
import { directoryOfPrefix, stateKeyParts } from './state-keys.js';

/** Hadoop 3's default NameNode HTTP port, which `webhdfs://` URLs imply. */
const DEFAULT_PORT = 9870;
const REQUEST_TIMEOUT_MS = 30_000;
const TEMPORARY_PREFIX = '.tmp-';

interface Reply<T> {
  value: T | undefined;
  status: number | undefined;
  body: unknown;
}

/**
 * HDFS through its WebHDFS REST API, at `webhdfs://namenode:port/path`
 * (query parameter `user`, else HADOOP_USER_NAME, else the OS user).
 * A write goes to a temporary file that is then renamed onto the key: HDFS
 * renames are atomic and never replace an existing file, so `writeIfAbsent`
 * is one rename whose answer says whether it happened, and `write` removes
 * the old file first (a reader sees the old object, none, or the new one).
 * The `webhdfs` client is loaded on first use.
 */
export class WebHdfsStateBackend implements StateBackend {
  readonly url: string;
  private readonly root: string;
  private readonly options: { host: string; port: number; user: string };
  private client: Promise<WebHDFSClient> | undefined;

  constructor(url: string) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'webhdfs:' || !parsed.hostname) throw new StateLocationError(url, 'expected webhdfs://host:port/path');
    this.url = url;
    this.root = parsed.pathname.replace(/\/+$/, '');
    this.options = {
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
      user: parsed.searchParams.get('user') ?? process.env.HADOOP_USER_NAME ?? userInfo().username,
    };
  }

  private connect(): Promise<WebHDFSClient> {
    this.client ??= import('webhdfs').then(({ default: webhdfs }) =>
      webhdfs.createClient({ ...this.options, path: '/webhdfs/v1' }, { timeout: REQUEST_TIMEOUT_MS }));
    return this.client;
  }

  async write(key: string, data: Uint8Array | string): Promise<void> {
    const path = this.pathOf(key);
    const temporary = await this.writeTemporary(path, data);
    if (await this.rename(temporary, path)) return;
    await this.call('delete', path, (client, done) => client.unlink(path, false, done));
    if (!(await this.rename(temporary, path))) throw this.failure('write', path, new Error(`could not rename ${temporary} onto it`));
  }

  async writeIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> {
    const path = this.pathOf(key);
    const temporary = await this.writeTemporary(path, data);
    if (await this.rename(temporary, path)) return true;
    await this.call('delete', temporary, (client, done) => client.unlink(temporary, false, done));
    return false;
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    const client = await this.connect();
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let status: number | undefined;
      let settled = false;
      const settle = (outcome: () => void) => {
        if (!settled) {
          settled = true;
          outcome();
        }
      };
      const request = client.createReadStream(path);
      request.on('response', (response: IncomingMessage) => {
        status = response.statusCode;
        if (status === 200) request.on('data', (chunk: Buffer) => chunks.push(chunk));
      });
      request.on('error', (error: Error) => settle(() => (status === 404 ? resolve(undefined) : reject(this.failure('read', path, error)))));
      request.on('finish', () => settle(() => {
        if (status === 200) resolve(Buffer.concat(chunks));
        else if (status === 404) resolve(undefined);
        else reject(this.failure('read', path, new Error(`HTTP ${status}`)));
      }));
    });
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    await this.collect(directoryOfPrefix(prefix), prefix, keys);
    return keys.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.endsWith('/')) {
      const path = this.pathOf(prefix.slice(0, -1));
      await this.call('delete', path, (client, done) => client.unlink(path, true, done));
      return;
    }
    for (const key of await this.list(prefix)) {
      const path = this.pathOf(key);
      await this.call('delete', path, (client, done) => client.unlink(path, false, done));
    }
  }

  /** Adds to `keys` every file under `directory` (a key prefix without trailing '/') whose key starts with `prefix`. */
  private async collect(directory: string, prefix: string, keys: string[]): Promise<void> {
    const path = this.pathOf(directory);
    const reply = await this.call<FileStatus[]>('list', path, (client, done) => client.readdir(path, done));
    if (reply.status === 404) return;
    for (const entry of reply.value ?? []) {
      const key = directory ? `${directory}/${entry.pathSuffix}` : entry.pathSuffix;
      if (entry.type === 'DIRECTORY') {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.collect(key, prefix, keys);
      } else if (entry.type === 'FILE' && !entry.pathSuffix.startsWith(TEMPORARY_PREFIX) && key.startsWith(prefix)) {
        keys.push(key);
      }
    }
  }

  private async writeTemporary(path: string, data: Uint8Array | string): Promise<string> {
    const temporary = `${path.slice(0, path.lastIndexOf('/'))}/${TEMPORARY_PREFIX}${randomUUID()}`;
    const client = await this.connect();
    await new Promise<void>((resolve, reject) => {
      // The client reads its data only through pipe(): it pauses the source until the NameNode redirects it to a DataNode.
      const remote = client.createWriteStream(temporary, false, { overwrite: true });
      let failure: Error | undefined;
      remote.once('error', (error: Error) => {
        failure = this.failure('write', temporary, error);
      });
      remote.once('finish', () => (failure ? reject(failure) : resolve()));
      Readable.from([typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength)]).pipe(remote);
    });
    return temporary;
  }

  /** HDFS rename: false (and nothing changes) if `destination` exists. */
  private async rename(path: string, destination: string): Promise<boolean> {
    const reply = await this.call('rename', path, (client, done) => client.rename(path, destination, done));
    return (reply.body as { boolean?: boolean } | undefined)?.boolean === true;
  }

  /** Runs one client call; a 404 is an answer (the path does not exist), any other error a failure naming the operation. */
  private async call<T = undefined>(
    operation: string,
    path: string,
    issue: (client: WebHDFSClient, done: (error: Error | null, value?: T) => void) => ClientRequest,
  ): Promise<Reply<T>> {
    const client = await this.connect();
    return new Promise((resolve, reject) => {
      let response: (IncomingMessage & { body?: unknown }) | undefined;
      const request = issue(client, (error, value) => {
        const status = response?.statusCode;
        if (error && status !== 404) reject(this.failure(operation, path, error));
        else resolve({ value: error ? undefined : value, status, body: response?.body });
      });
      request.on('response', (received: IncomingMessage) => {
        response = received;
      });
    });
  }

  private failure(operation: string, path: string, cause: Error): StateBackendError {
    return new StateBackendError(this.url, operation, path, `WebHDFS ${this.options.host}:${this.options.port}: ${operation} ${path} failed: ${cause.message}`, { cause });
  }

  private pathOf(key: string): string {
    return key ? `${this.root}/${stateKeyParts(key).join('/')}` : this.root || '/';
  }
}
