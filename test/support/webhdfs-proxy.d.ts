/** The part of the `webhdfs-proxy` npm package (0.1) that the test WebHDFS server uses. */
declare module 'webhdfs-proxy' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';

  export class WebHDFSAPIError extends Error {
    constructor(exception: 'IllegalArgumentException' | 'FileNotFoundException' | 'RuntimeException', data: Record<string, string>);
  }

  export type StorageHandler = (
    error: Error | null,
    path: string,
    operation: string,
    params: Record<string, string | number | boolean>,
    request: IncomingMessage,
    response: ServerResponse,
    next: (error?: Error) => void,
  ) => void;

  const proxy: {
    createServer(
      options: { path?: string; host?: string; validate?: boolean; http?: { port: number } },
      handler: StorageHandler,
      done: (error: Error | null, servers: Server[]) => void,
    ): unknown;
    WebHDFSAPIError: typeof WebHDFSAPIError;
  };
  export default proxy;
}
