import { SolsticeError } from '../lib/errors.js';
import type { ClusterHost } from '../cluster/cluster-config.js';

/**
 * Where a stage's workers run: in the job's process, in worker threads, in
 * forked processes (one each), or in processes on the cluster's hosts.
 */
export type WorkerMode = 'in-process' | 'threaded' | 'forked' | 'remote';

export const WORKER_MODES: readonly WorkerMode[] = ['in-process', 'threaded', 'forked', 'remote'];

/** Comedy's name for each mode. */
export type ComedyMode = 'in-memory' | 'threaded' | 'forked' | 'remote';

/**
 * Where each kind of actor runs, in the style of Comedy's actors.json:
 * `{ "Worker": { "mode": "forked" }, "stages": { "decode": { "Worker": { "mode": "threaded" } } } }`.
 * Placement is configuration: workflow code does not change with it.
 */
export interface PlacementConfig {
  /** Mode of every stage's workers, unless the stage says otherwise. Default: in-process. */
  Worker?: { mode: WorkerMode };
  /** Per-stage overrides. */
  stages?: Record<string, { Worker?: { mode: WorkerMode } }>;
  /** The host agents that run 'remote' workers (from cluster.json; see docs/cluster.md). */
  hosts?: ClusterHost[];
}

export const DEFAULT_PLACEMENT: PlacementConfig = { Worker: { mode: 'in-process' } };

export function workerModeOf(placement: PlacementConfig, stage: string): WorkerMode {
  return placement.stages?.[stage]?.Worker?.mode ?? placement.Worker?.mode ?? 'in-process';
}

export function comedyMode(mode: WorkerMode): ComedyMode {
  return mode === 'in-process' ? 'in-memory' : mode;
}

/** Whether any worker runs outside the job's process, so payloads must cross process or thread boundaries. */
export function crossesProcesses(placement: PlacementConfig, stages: readonly string[]): boolean {
  return stages.some((stage) => workerModeOf(placement, stage) !== 'in-process');
}

/** Checks a placement (from a file or the API) and names what is wrong with it. */
export function validatePlacement(placement: PlacementConfig, stages: readonly string[], source = 'placement'): PlacementConfig {
  const checkMode = (mode: unknown, where: string) => {
    if (!WORKER_MODES.includes(mode as WorkerMode)) {
      throw new SolsticeError(`${source}: ${where} has mode '${String(mode)}'; expected one of ${WORKER_MODES.join(', ')}`);
    }
  };
  if (placement.Worker) checkMode(placement.Worker.mode, 'Worker');
  for (const [stage, override] of Object.entries(placement.stages ?? {})) {
    if (!stages.includes(stage)) throw new SolsticeError(`${source}: stage '${stage}' is not in the job (stages: ${stages.join(', ')})`);
    if (override.Worker) checkMode(override.Worker.mode, `stages.${stage}.Worker`);
  }
  const remote = stages.filter((stage) => workerModeOf(placement, stage) === 'remote');
  if (remote.length > 0 && !placement.hosts?.length) {
    throw new SolsticeError(`${source}: stages ${remote.join(', ')} run 'remote' workers, which need a cluster: run with 'solstice-node start --hosts cluster.json'`);
  }
  if (remote.length > 0 && remote.length < stages.length) {
    const local = stages.filter((stage) => !remote.includes(stage));
    throw new SolsticeError(`${source}: on a cluster every stage's workers run on its hosts; stages ${local.join(', ')} do not`);
  }
  return placement;
}
