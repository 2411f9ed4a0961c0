/**
 * A WebHDFS server on 127.0.0.1 for tests: `webhdfs-proxy` speaks the REST
 * API (routing, parameter validation, the NameNode's 307 redirect to a
 * "DataNode", Hadoop's RemoteException errors), and the handler here keeps
 * the files in a local directory with HDFS semantics: CREATE makes parent
 * directories, RENAME never replaces an existing path and answers
 * {"boolean": false} instead, DELETE of a missing path answers false.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import type { Server, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import webhdfsProxy, { type StorageHandler } from 'webhdfs-proxy';
import { freePort } from './ports.js';
import { tempDir } from './files.js';

export interface WebHdfsServer {
  /** `webhdfs://127.0.0.1:PORT` */
  url: string;
  /** The directory that holds the files. */
  directory: string;
  /** Stops answering (an outage) and starts again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const { WebHDFSAPIError } = webhdfsProxy;

function answer(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

function remoteException(response: ServerResponse, status: number, exception: string, message: string): void {
  answer(response, status, { RemoteException: { exception, javaClassName: `org.apache.hadoop.fs.${exception}`, message } });
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function fileStatus(name: string, stats: Awaited<ReturnType<typeof stat>>) {
  return {
    pathSuffix: name,
    type: stats.isDirectory() ? 'DIRECTORY' : 'FILE',
    length: stats.isDirectory() ? 0 : Number(stats.size),
    modificationTime: Number(stats.mtimeMs),
    permission: (Number(stats.mode) & 0o777).toString(8),
    owner: 'solstice',
    group: 'supergroup',
    replication: stats.isDirectory() ? 0 : 1,
  };
}

function storageHandler(root: string): StorageHandler {
  const local = (path: string): string => {
    const parts = decodeURIComponent(path).split('/').filter(Boolean);
    if (parts.includes('..')) throw new WebHDFSAPIError('IllegalArgumentException', { message: `invalid path ${path}` });
    return join(root, ...parts);
  };

  const operations: Record<string, (path: string, params: Record<string, unknown>, request: import('node:http').IncomingMessage, response: ServerResponse) => Promise<void>> = {
    async mkdirs(path, _params, _request, response) {
      await mkdir(local(path), { recursive: true });
      answer(response, 200, { boolean: true });
    },
    async create(path, params, request, response) {
      const target = local(path);
      if (params.overwrite === false && (await statOrUndefined(target))) {
        remoteException(response, 403, 'FileAlreadyExistsException', `${path} already exists`);
        return;
      }
      await mkdir(dirname(target), { recursive: true });
      await pipeline(request, createWriteStream(target));
      answer(response, 201, undefined, { location: `webhdfs://127.0.0.1${path}` });
    },
    async open(path, _params, _request, response) {
      const target = local(path);
      const stats = await statOrUndefined(target);
      if (!stats) throw new WebHDFSAPIError('FileNotFoundException', { path });
      if (stats.isDirectory()) {
        remoteException(response, 400, 'FileNotFoundException', `Path is not a file: ${path}`);
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(stats.size) });
      await pipeline(createReadStream(target), response);
    },
    async getfilestatus(path, _params, _request, response) {
      const stats = await statOrUndefined(local(path));
      if (!stats) throw new WebHDFSAPIError('FileNotFoundException', { path });
      answer(response, 200, { FileStatus: fileStatus('', stats) });
    },
    async liststatus(path, _params, _request, response) {
      const target = local(path);
      const stats = await statOrUndefined(target);
      if (!stats) throw new WebHDFSAPIError('FileNotFoundException', { path });
      const names = stats.isDirectory() ? (await readdir(target)).sort() : [''];
      const statuses = [];
      for (const name of names) statuses.push(fileStatus(name, await stat(join(target, name))));
      answer(response, 200, { FileStatuses: { FileStatus: statuses } });
    },
    async rename(path, params, _request, response) {
      const source = local(path);
      const destination = local(String(params.destination));
      const stats = await statOrUndefined(source);
      if (!stats || !(await statOrUndefined(dirname(destination)))) {
        answer(response, 200, { boolean: false });
        return;
      }
      if (stats.isDirectory()) {
        if (await statOrUndefined(destination)) return answer(response, 200, { boolean: false });
        await rename(source, destination);
      } else {
        // link() fails if the destination exists, so two racing renames cannot both win.
        try {
          await link(source, destination);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') return answer(response, 200, { boolean: false });
          throw error;
        }
        await unlink(source);
      }
      answer(response, 200, { boolean: true });
    },
    async delete(path, params, _request, response) {
      const target = local(path);
      const stats = await statOrUndefined(target);
      if (!stats) return answer(response, 200, { boolean: false });
      if (stats.isDirectory() && params.recursive !== true && (await readdir(target)).length > 0) {
        remoteException(response, 403, 'PathIsNotEmptyDirectoryException', `${path} is non empty`);
        return;
      }
      await rm(target, { recursive: true, force: true });
      answer(response, 200, { boolean: true });
    },
  };

  return (error, path, operation, params, request, response, next) => {
    const run = error ? undefined : operations[operation];
    if (!run) {
      next(error ?? new WebHDFSAPIError('RuntimeException', { message: `op=${operation} is not supported by the test server` }));
      return;
    }
    // The proxy answers 200 itself when next() is called without an error, so next() is only for errors.
    run(path, params, request, response).catch((failure: Error) => {
      if (response.headersSent) response.destroy(failure);
      else next(failure instanceof WebHDFSAPIError ? failure : new WebHDFSAPIError('RuntimeException', { message: failure.message }));
    });
  };
}

export async function startWebHdfsServer(): Promise<WebHdfsServer> {
  const directory = await tempDir('solstice-webhdfs-');
  const port = await freePort();
  const server = await new Promise<Server>((resolve, reject) => {
    webhdfsProxy.createServer({ path: '/webhdfs/v1', host: '127.0.0.1', validate: true, http: { port } }, storageHandler(directory),
      (error, servers) => (error ? reject(error) : resolve(servers[0]!)));
  });
  // The proxy listens on every interface; it is moved to loopback only.
  const close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  const listen = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  await close();
  await listen();
  return { url: `webhdfs://127.0.0.1:${port}`, directory, pause: close, resume: listen, stop: close };
}
