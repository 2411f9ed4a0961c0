import type { ServerResponse } from 'node:http';

/** Answers with an event stream, its headers sent at once: a client that has them is subscribed. */
export function openEventStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  response.flushHeaders();
}

/** One event named `name` with `data` as JSON, which holds no line break, so one `data:` line. */
export function writeEvent(response: ServerResponse, name: string, data: unknown): void {
  response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}
