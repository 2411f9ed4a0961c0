import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { ACTOR_NAMES, actorModulePath } from './actor-modules.js';
import { ActorCreationError, HostAgentListenError } from '../lib/errors/index.js';
import { createLogger, type Logger, type LogLevel } from '../lib/logger.js';
import { AGENT_HOST_ENV } from '../cluster/actor-process-env.js';
import { SECRET_FILE_ENV } from '../cluster/shared-secret.js';
import { acceptAuthenticated } from '../cluster/socket-handshake.js';
import { FORKED_ACTOR_WORKER, MessageSocket } from './internals.js';
import { installComedyPatches } from './patches.js';

/** Loaded first in every actor process: binds its port to the agent's address and authenticates its parent. */
const ACTOR_PROCESS_SETUP = new URL('./actor-process-setup.js', import.meta.url).href;
/** The actors a job may create on a host: the framework's own, from the same installation as this agent. */
const ALLOWED_ACTORS = new Set(ACTOR_NAMES.map((actor) => actorModulePath(actor)));
const CREATE_TIMEOUT_MS = 60_000;

interface CreateActorMessage {
  type: 'create-actor';
  body: {
    name?: string;
    mode?: string;
    definition?: unknown;
    definitionFormat?: string;
    additionalRequires?: unknown;
    marshallerFormat?: string;
    balancerFormat?: string;
    resourceFormat?: unknown;
    loggerFormat?: string;
    customParametersMarshalledTypes?: unknown;
  };
}

export interface HostAgentOptions {
  host: string;
  port: number;
  secret: Buffer;
  /** The file the secret came from; actor processes read it from there. */
  secretFile: string;
  logLevel?: LogLevel;
}

/**
 * A host agent: Comedy's remote-actor listener, rebuilt so that nothing is
 * accepted before the peer proves the cluster secret. It speaks Comedy's
 * protocol ('create-actor' in, 'actor-created' with the actor's port out) and
 * starts each actor in a process of its own, as Comedy's listener does, with
 * three differences: only the framework's own actor modules are created (no
 * serialized code, no extra modules to require), every actor process binds
 * to the agent's address and authenticates its one connection, and actor
 * processes end with the agent (they keep their IPC channel to it).
 */
export class HostAgent {
  private readonly children = new Set<ChildProcess>();
  private readonly log: Logger;

  private constructor(private readonly server: Server, private readonly options: HostAgentOptions) {
    this.log = createLogger(options, { actor: 'HostAgent', host: options.host, port: options.port });
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: HostAgentOptions): Promise<HostAgent> {
    installComedyPatches();
    const server = createServer();
    const agent = new HostAgent(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new HostAgentListenError(options.host, options.port, error)));
      server.listen(options.port, options.host, () => resolve());
    });
    server.on('error', (error) => agent.log.error({ err: error }, 'listener failed'));
    return agent;
  }

  /** `host:port` as bound. */
  get address(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') return `${this.options.host}:${this.options.port}`;
    return `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** Stops listening and ends every actor process it started. */
  async close(): Promise<void> {
    for (const child of this.children) child.kill('SIGTERM');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.on('error', (error) => this.log.debug({ peer, err: error }, 'connection failed'));
    acceptAuthenticated(socket, this.options.secret).then(
      () => {
        const channel = new MessageSocket(socket);
        let handled = false;
        channel.on('message', (message: unknown) => {
          if (handled) return;
          handled = true;
          this.create(message as CreateActorMessage).then(
            (reply) => {
              channel.write(reply);
              channel.end();
            },
            (error: unknown) => {
              this.log.warn({ peer, err: error }, 'could not create an actor');
              channel.write({ error: (error as Error).message });
              channel.end();
            },
          );
        });
      },
      (error: unknown) => this.log.warn({ peer, reason: (error as Error).message }, 'refused a connection that did not prove the cluster secret'),
    );
  }

  private async create(message: CreateActorMessage): Promise<unknown> {
    checkCreateRequest(message);
    const child = fork(FORKED_ACTOR_WORKER, message.body.name ? [message.body.name] : [], {
      execArgv: [...process.execArgv, '--import', ACTOR_PROCESS_SETUP],
      env: { ...process.env, [AGENT_HOST_ENV]: this.options.host, [SECRET_FILE_ENV]: this.options.secretFile },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    const reply = await new Promise<{ error?: string; body?: Record<string, unknown> }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ActorCreationError(`actor ${message.body.name ?? ''} did not start within ${CREATE_TIMEOUT_MS / 1000} s`)), CREATE_TIMEOUT_MS);
      child.once('message', (answer: { error?: string; body?: Record<string, unknown> }) => {
        clearTimeout(timer);
        resolve(answer);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new ActorCreationError(`actor process ${child.pid} ended (${signal ?? `code ${code}`}) before its actor was created`));
      });
      child.send(message, (error) => error && reject(error));
    });
    if (reply.error) {
      child.kill('SIGKILL');
      throw new ActorCreationError(reply.error);
    }
    this.log.info({ name: message.body.name, actorPid: child.pid, actorPort: reply.body?.['port'] }, 'actor created');
    return { ...reply, body: { ...reply.body, pid: child.pid } };
  }
}

/** Refuses what would run code other than the framework's actors: serialized definitions and extra modules. */
function checkCreateRequest(message: CreateActorMessage): void {
  if (message?.type !== 'create-actor' || typeof message.body !== 'object' || message.body === null) {
    throw new ActorCreationError("expected a 'create-actor' message");
  }
  const body = message.body;
  if (body.mode !== 'remote') throw new ActorCreationError(`actor mode '${String(body.mode)}' cannot be created by a host agent`);
  if (body.definitionFormat !== 'modulePath' || typeof body.definition !== 'string') {
    throw new ActorCreationError('a host agent creates actors from module paths only, never from serialized code');
  }
  if (!ALLOWED_ACTORS.has(body.definition)) {
    throw new ActorCreationError(
      `this host agent does not create '${body.definition}'; it creates ${[...ALLOWED_ACTORS].join(', ')}. ` +
        'Install the same Solstice-node package at the same path on every host',
    );
  }
  const serialized = [body.marshallerFormat, body.balancerFormat, body.loggerFormat].includes('serialized') ||
    (Array.isArray(body.resourceFormat) && body.resourceFormat.includes('serialized'));
  const requires = Array.isArray(body.additionalRequires) ? body.additionalRequires.length > 0 : Boolean(body.additionalRequires);
  if (serialized || requires || body.customParametersMarshalledTypes) {
    throw new ActorCreationError('a host agent refuses serialized code, additional modules and marshalled handles');
  }
}

