/** The part of the `webhdfs` npm client (1.2) that the WebHDFS state backend uses. */
declare module 'webhdfs' {
  import type { EventEmitter } from 'node:events';
  import type { Writable } from 'node:stream';

  export interface FileStatus {
    pathSuffix: string;
    type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
    length: number;
  }

  /** A `request` object; it emits 'response', 'data', 'error' and 'finish'. */
  export interface ClientRequest extends EventEmitter {
    end(): void;
  }

  export interface WebHDFSClient {
    readdir(path: string, callback: (error: Error | null, files?: FileStatus[]) => void): ClientRequest;
    mkdir(path: string, callback: (error: Error | null) => void): ClientRequest;
    rename(path: string, destination: string, callback: (error: Error | null) => void): ClientRequest;
    stat(path: string, callback: (error: Error | null, status?: FileStatus) => void): ClientRequest;
    unlink(path: string, recursive: boolean, callback: (error: Error | null) => void): ClientRequest;
    createWriteStream(path: string, append?: boolean, options?: Record<string, unknown>): Writable & ClientRequest;
    createReadStream(path: string, options?: Record<string, unknown>): ClientRequest;
  }

  export interface ClientOptions {
    host: string;
    port: number | string;
    path?: string;
    user?: string;
    protocol?: 'http' | 'https';
  }

  export function createClient(options: ClientOptions, requestParams?: Record<string, unknown>): WebHDFSClient;
  const webhdfs: { createClient: typeof createClient };
  export default webhdfs;
}
