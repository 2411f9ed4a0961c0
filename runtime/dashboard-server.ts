import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../lib/package-root.js';
import { JobMetrics } from './job-metrics.js';
import type { Dashboard, DashboardOptions, RunnerState, RunnerStatus } from './runner-options.js';

/** What the server reads: a runner, or anything that reports as one. */
export interface StatusSource {
  status(): Promise<RunnerStatus>;
}

/** The runner's states after which nothing changes any more. */
const ENDED: ReadonlySet<RunnerState> = new Set(['finished', 'failed', 'stopped']);

export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';
const DEFAULT_INTERVAL_MS = 1000;

/**
 * Serves a job's figures over HTTP (docs/observability.md#dashboard-server):
 * `/metrics` (Prometheus text format), `/api/status` (the status as JSON),
 * `/api/events` (Server-Sent Events: the status every interval, then an
 * `end` event with the final status, and the stream closes), and at `/` the
 * page that draws them (docs/observability.md#dashboard). Every answer is
 * read from the runner at the time it is asked, so after the job has ended
 * they give its final figures, until `close()`.
 */
export async function serveDashboard(source: StatusSource, options: DashboardOptions = {}): Promise<Dashboard> {
  const host = options.host ?? DEFAULT_DASHBOARD_HOST;
  const feed = new StatusFeed(source, options.intervalMs ?? DEFAULT_INTERVAL_MS);
  const metrics = new JobMetrics();
  const files = await loadPageFiles();
  const server = createServer((request, response) => {
    route(request, response, feed, metrics, files).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${(error as Error).message}\n`);
    });
  });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return {
    url,
    async close() {
      feed.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A file the page loads, as served. */
interface PageFile {
  type: string;
  body: Buffer;
}

const require = createRequire(import.meta.url);

/**
 * The page and what it loads, by route: its own files from the package's
 * `dashboard/` folder and uPlot's from node_modules, read once, so the page
 * works with no network beyond this server.
 */
async function loadPageFiles(): Promise<Map<string, PageFile>> {
  const sources: [route: string, path: string, type: string][] = [
    ['/', join(PACKAGE_ROOT, 'dashboard', 'index.html'), 'text/html; charset=utf-8'],
    ['/dashboard.js', join(PACKAGE_ROOT, 'dashboard', 'dashboard.js'), 'text/javascript; charset=utf-8'],
    ['/dashboard.css', join(PACKAGE_ROOT, 'dashboard', 'dashboard.css'), 'text/css; charset=utf-8'],
    ['/assets/uplot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['/assets/uplot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  const files = await Promise.all(sources.map(async ([route, path, type]) => [route, { type, body: await readFile(path) }] as const));
  return new Map(files);
}

async function route(request: IncomingMessage, response: ServerResponse, feed: StatusFeed, metrics: JobMetrics, files: Map<string, PageFile>): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  switch (path) {
    case '/metrics': {
      const text = await metrics.text(await feed.current());
      response.writeHead(200, { 'content-type': metrics.contentType }).end(text);
      return;
    }
    case '/api/status':
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await feed.current()));
      return;
    case '/api/events':
      feed.subscribe(response);
      return;
    default: {
      const file = files.get(path);
      if (file) {
        response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' }).end(file.body);
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`Not found: ${path}\n`);
    }
  }
}

/**
 * The runner's status, read at each request, and sent to the event streams
 * every interval. A read that fails (the attempt's actors shutting down
 * between two attempts) is answered with the last status read; once the
 * runner has ended, its status is kept and the streams end.
 */
class StatusFeed {
  private last: RunnerStatus | undefined;
  private final: RunnerStatus | undefined;
  private readonly streams = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly source: StatusSource, private readonly intervalMs: number) {}

  async current(): Promise<RunnerStatus> {
    if (this.final) return this.final;
    try {
      this.last = await this.source.status();
    } catch (error) {
      if (!this.last) throw error;
      return this.last;
    }
    if (ENDED.has(this.last.runner)) this.final = this.last;
    return this.last;
  }

  subscribe(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    this.streams.add(response);
    response.on('close', () => this.streams.delete(response));
    this.timer ??= setInterval(() => void this.broadcast(), this.intervalMs);
    void this.current().then((status) => this.send(response, status), () => undefined);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const response of this.streams) response.end();
    this.streams.clear();
  }

  private async broadcast(): Promise<void> {
    const status = await this.current().catch(() => undefined);
    if (!status) return;
    for (const response of this.streams) this.send(response, status);
    if (this.streams.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A `status` event; for a runner that has ended, an `end` event instead, and the stream closes. */
  private send(response: ServerResponse, status: RunnerStatus): void {
    if (response.writableEnded) return;
    const ended = ENDED.has(status.runner);
    response.write(`event: ${ended ? 'end' : 'status'}\ndata: ${JSON.stringify(status)}\n\n`);
    if (!ended) return;
    this.streams.delete(response);
    response.end();
  }
}
