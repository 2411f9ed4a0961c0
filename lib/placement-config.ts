/**
 * Where a job's actors run: the placement a user configures (runner option
 * `placement`, `--placement`) and the cluster's hosts (cluster.json). Plain
 * types and defaults; checking and applying them is the actors' business
 * (actors/placement.ts).
 */

/** A host agent as the job sees it: where it listens and how many workers it runs at once. */
export interface ClusterHost {
  host: string;
  port: number;
  slots: number;
}

/** cluster.json, read: the hosts, and the secret that the file named by `secretFile` holds. */
export interface ClusterConfig {
  hosts: ClusterHost[];
  secret: Buffer;
}

/**
 * Where an actor runs: in its parent's process (for the MetaService, the
 * job's process), in a worker thread, in a forked process of its own, or in a
 * process on one of the cluster's hosts.
 */
export type WorkerMode = 'in-process' | 'threaded' | 'forked' | 'remote';

export const WORKER_MODES: readonly WorkerMode[] = ['in-process', 'threaded', 'forked', 'remote'];

/** Where a master (MetaService, GlobalStateMaster, StageMaster) runs. */
export type MasterMode = WorkerMode;

export const MASTER_MODES: readonly MasterMode[] = WORKER_MODES;

/**
 * A master's place. A `remote` master runs on the cluster host that `host`
 * names (`"10.0.0.2:6161"`, or `"10.0.0.2"` when one agent listens there),
 * else on a host that answers, the masters spread over them in turn.
 */
export interface MasterPlacement {
  mode: MasterMode;
  host?: string;
}

export type MasterKind = 'MetaService' | 'GlobalStateMaster' | 'StageMaster';

/**
 * Where each kind of actor runs, in the style of Comedy's actors.json:
 * `{ "Worker": { "mode": "forked" }, "StageMaster": { "mode": "threaded" },
 *    "stages": { "decode": { "Worker": { "mode": "threaded" } } } }`.
 * Placement is configuration: workflow code does not change with it.
 */
export interface PlacementConfig {
  /** Mode of every stage's workers, unless the stage says otherwise. Default: in-process. */
  Worker?: { mode: WorkerMode };
  /** The job's coordinator, a child of the job's process. Default: in-process. */
  MetaService?: MasterPlacement;
  /** Checkpoint coordination, a child of the MetaService. Default: in-process. */
  GlobalStateMaster?: MasterPlacement;
  /** Place of every stage master (a child of the MetaService), unless the stage says otherwise. Default: in-process. */
  StageMaster?: MasterPlacement;
  /** Per-stage overrides. */
  stages?: Record<string, { Worker?: { mode: WorkerMode }; StageMaster?: MasterPlacement }>;
  /** The host agents that run 'remote' actors (from cluster.json; see docs/cluster.md). */
  hosts?: ClusterHost[];
}

export const DEFAULT_PLACEMENT: PlacementConfig = { Worker: { mode: 'in-process' } };

/** Where one remote actor runs: its host agent. */
export interface WorkerHost {
  host: string;
  port: number;
}

/** The cluster host that `name` ("10.0.0.2:6161", or "10.0.0.2" when one agent listens there) means, if exactly one. */
export function clusterHostNamed(hosts: readonly ClusterHost[], name: string): ClusterHost | undefined {
  const exact = hosts.find((host) => `${host.host}:${host.port}` === name);
  if (exact) return exact;
  const byAddress = hosts.filter((host) => host.host === name);
  return byAddress.length === 1 ? byAddress[0] : undefined;
}

/** Where the workers of `stage` run. */
export function workerModeOf(placement: PlacementConfig, stage: string): WorkerMode {
  return placement.stages?.[stage]?.Worker?.mode ?? placement.Worker?.mode ?? 'in-process';
}

/** The place of a master; `stage` names the stage of a StageMaster. */
export function masterPlacementOf(placement: PlacementConfig, kind: MasterKind, stage?: string): MasterPlacement {
  const placed = kind === 'StageMaster' && stage !== undefined ? placement.stages?.[stage]?.StageMaster ?? placement.StageMaster : placement[kind];
  return placed ?? { mode: 'in-process' };
}

/** The mode of a master; `stage` names the stage of a StageMaster. */
export function masterModeOf(placement: PlacementConfig, kind: MasterKind, stage?: string): MasterMode {
  return masterPlacementOf(placement, kind, stage).mode;
}
