/** Errors of running on a cluster: its configuration and secret, its host agents, and the handshake between them. */
import { SolsticeError, registerErrorClasses } from './base.js';

/** cluster.json (`file`, given with `--hosts`) cannot be read or says something unusable. */
export class ClusterConfigError extends SolsticeError {
  override readonly name: string = 'ClusterConfigError';

  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    return { file: this.file };
  }
}

/**
 * The cluster secret cannot be read from `file`, is too short, or (without
 * `file`) this process has none and needs it to connect to a host.
 */
export class ClusterSecretError extends SolsticeError {
  override readonly name: string = 'ClusterSecretError';

  constructor(readonly file: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  override details(): Record<string, unknown> {
    return { file: this.file };
  }
}

/** A peer failed the handshake (it does not know the cluster secret, or is no Solstice-node peer), or it did not complete. */
export class HandshakeError extends SolsticeError {
  override readonly name: string = 'HandshakeError';
}

/**
 * Master `master` has no host agent to run on: `hosts` are the hosts it may
 * run on (the one it is placed on, or every host of the cluster), and none
 * of them answers.
 */
export class HostUnavailableError extends SolsticeError {
  override readonly name: string = 'HostUnavailableError';

  constructor(readonly master: string, readonly hosts: string[], message: string) {
    super(message);
  }

  override details(): Record<string, unknown> {
    return { master: this.master, hosts: this.hosts };
  }
}

/** The job needs `neededSlots` worker slots and no host of the cluster answers (`availableSlots` 0): no worker can run. */
export class ClusterCapacityError extends SolsticeError {
  override readonly name: string = 'ClusterCapacityError';

  constructor(readonly neededSlots: number, readonly availableSlots: number, hosts: string) {
    super(`The job needs ${neededSlots} worker slots; the hosts that answer have ${availableSlots}: ${hosts}`);
  }

  override details(): Record<string, unknown> {
    return { neededSlots: this.neededSlots, availableSlots: this.availableSlots };
  }
}

/** The host agent at `agent` (host:port) refused to create an actor, or could not; `reason` is its answer. */
export class HostAgentRefusedError extends SolsticeError {
  override readonly name: string = 'HostAgentRefusedError';

  constructor(readonly agent: string, readonly reason: string) {
    super(`Host agent ${agent}: ${reason}`);
  }

  override details(): Record<string, unknown> {
    return { agent: this.agent, reason: this.reason };
  }
}

/**
 * On a host agent: a request to create an actor that it refuses, or an actor
 * process that did not start. The job's side receives the message as a
 * {@link HostAgentRefusedError}.
 */
export class ActorCreationError extends SolsticeError {
  override readonly name: string = 'ActorCreationError';
}

/** A host agent cannot listen on `host`:`port`; `cause` says why. */
export class HostAgentListenError extends SolsticeError {
  override readonly name: string = 'HostAgentListenError';

  constructor(readonly host: string, readonly port: number, cause: Error) {
    super(`Cannot listen on ${host}:${port}: ${cause.message}`, { cause });
  }

  override details(): Record<string, unknown> {
    return { host: this.host, port: this.port };
  }
}

registerErrorClasses({
  ClusterConfigError, ClusterSecretError, HandshakeError, HostUnavailableError, ClusterCapacityError, HostAgentRefusedError, ActorCreationError,
  HostAgentListenError,
});
