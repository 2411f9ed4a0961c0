import { createServer, type Server, type Socket } from 'node:net';
import { serializeError } from '../lib/errors/index.js';
import { ACTOR_FAILED, ACTOR_READY, type ActorReadiness } from './actor-ready.js';
import { agentHost } from '../cluster/actor-process-env.js';
import { clusterSecret } from '../cluster/shared-secret.js';
import { acceptAuthenticated } from '../cluster/socket-handshake.js';
import { Bluebird as P, comedyModule, MessageSocket, type PatchableClass } from './internals.js';
import { installComedyPatches } from './patches.js';

/**
 * Loaded (`--import`) first in every actor process a host agent starts.
 * Comedy's remote actor listens on a random port on every interface and takes
 * the first connection from anyone. Here it listens on the agent's address
 * only, takes the first connection that proves the cluster secret, then stops
 * listening; the process ends when that connection closes (its parent, the
 * job, is gone) or when the agent ends (the IPC channel to it closes).
 */
interface RemoteActorChildInstance {
  server?: Server;
  socket?: unknown;
  actorPromise?: PromiseLike<unknown>;
  system: unknown;
  wrappedActor: unknown;
  definition: unknown;
  parentId: unknown;
  log: { info(...args: unknown[]): void; warn(...args: unknown[]): void };
}

function setUpActorProcess(): void {
  const host = agentHost();
  const secret = clusterSecret();
  if (!host || !secret) throw new Error('an actor process of a host agent needs SOLSTICE_AGENT_HOST and SOLSTICE_SECRET_FILE');
  const RemoteActorChild = comedyModule<PatchableClass>('remote-actor-child.js');
  const ForkedActorChild = comedyModule<new (options: object) => { initialize(): unknown }>('forked-actor-child.js');

  class RemoteActorChildProxy extends ForkedActorChild {
    getMode(): string {
      return 'remote';
    }
  }

  RemoteActorChild.prototype['initialize'] = function initialize(this: RemoteActorChildInstance) {
    return new P<void>((resolve, reject) => {
      const server = createServer();
      this.server = server;
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        this.log.info(`Listening on ${typeof address === 'object' && address ? `${address.address}:${address.port}` : address}`);
        resolve();
      });
      server.on('connection', (socket: Socket) => {
        socket.on('error', () => socket.destroy());
        acceptAuthenticated(socket, secret).then(
          () => {
            if (this.socket) {
              socket.destroy();
              return;
            }
            // The one parent is connected: nobody else is to be let in.
            server.close();
            socket.once('close', () => process.exit(0));
            const bus = new MessageSocket(socket);
            this.socket = bus;
            this.actorPromise = P.resolve(
              new RemoteActorChildProxy({ system: this.system, bus, actor: this.wrappedActor, definition: this.definition, parentId: this.parentId }),
            ).tap((actor) => actor.initialize());
            this.actorPromise.then(
              () => bus.write({ type: ACTOR_READY } satisfies ActorReadiness),
              (error: unknown) => {
                this.log.warn(`Actor failed to initialize: ${(error as Error).stack ?? String(error)}`);
                bus.write({ type: ACTOR_FAILED, error: serializeError(error) } satisfies ActorReadiness, () => process.exit(1));
              },
            );
          },
          (error: unknown) => this.log.warn(`Refused a connection that did not prove the cluster secret: ${(error as Error).message}`),
        );
      });
    });
  };
  // The agent is gone: so is this host's share of the job.
  process.on('disconnect', () => process.exit(0));
}

// This module is the first thing an actor process of a host agent runs: its start.
installComedyPatches();
setUpActorProcess();
