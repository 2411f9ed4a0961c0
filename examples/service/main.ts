/**
 * Starts the service (README.md):
 *
 *   node dist/examples/service/main.js --port 8080 [--host 127.0.0.1] [--state-dir DIR] [--workflow NAME=MODULE ...]
 *
 * SIGINT or SIGTERM closes it: the jobs it runs are stopped, and it exits once they have ended.
 */
import { parseArgs } from 'node:util';
import { startService, type ServiceOptions } from './server.js';

const USAGE = 'usage: main.js [--port 8080] [--host 127.0.0.1] [--state-dir DIR] [--workflow NAME=MODULE]...';

function serviceOptions(args: string[]): ServiceOptions {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'state-dir': { type: 'string' },
      workflow: { type: 'string', multiple: true, default: [] },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port takes a port number, got '${values.port}'\n${USAGE}`);
  const workflows = Object.fromEntries(values.workflow.map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0 || at === entry.length - 1) throw new Error(`--workflow takes NAME=MODULE (the name submissions give, the module's path), got '${entry}'\n${USAGE}`);
    return [entry.slice(0, at), entry.slice(at + 1)];
  }));
  return { port, host: values.host, stateDir: values['state-dir'], workflows };
}

const service = await startService(serviceOptions(process.argv.slice(2)));
process.stdout.write(`listening on ${service.url}\n`);

const close = (signal: NodeJS.Signals) => {
  process.stdout.write(`${signal}: stopping the running jobs\n`);
  service.close().then(
    () => process.stdout.write('closed\n'),
    (error: unknown) => {
      process.stderr.write(`could not close the service: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
};
process.once('SIGINT', close);
process.once('SIGTERM', close);
