import { SolsticeError } from '../lib/errors.js';
import type { ClusterHost } from '../cluster/cluster-config.js';

/**
 * Where an actor runs: in its parent's process (for the MetaService, the
 * job's process), in a worker thread, in a forked process of its own, or in a
 * process on one of the cluster's hosts (workers only).
 */
export type WorkerMode = 'in-process' | 'threaded' | 'forked' | 'remote';

export const WORKER_MODES: readonly WorkerMode[] = ['in-process', 'threaded', 'forked', 'remote'];

/** Where a master (MetaService, GlobalStateMaster, StageMaster) runs. */
export type MasterMode = Exclude<WorkerMode, 'remote'>;

export const MASTER_MODES: readonly MasterMode[] = ['in-process', 'threaded', 'forked'];

export type MasterKind = 'MetaService' | 'GlobalStateMaster' | 'StageMaster';

/** Comedy's name for each mode. */
export type ComedyMode = 'in-memory' | 'threaded' | 'forked' | 'remote';

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
  MetaService?: { mode: MasterMode };
  /** Checkpoint coordination, a child of the MetaService. Default: in-process. */
  GlobalStateMaster?: { mode: MasterMode };
  /** Mode of every stage master (a child of the MetaService), unless the stage says otherwise. Default: in-process. */
  StageMaster?: { mode: MasterMode };
  /** Per-stage overrides. */
  stages?: Record<string, { Worker?: { mode: WorkerMode }; StageMaster?: { mode: MasterMode } }>;
  /** The host agents that run 'remote' workers (from cluster.json; see docs/cluster.md). */
  hosts?: ClusterHost[];
}

export const DEFAULT_PLACEMENT: PlacementConfig = { Worker: { mode: 'in-process' } };

export function workerModeOf(placement: PlacementConfig, stage: string): WorkerMode {
  return placement.stages?.[stage]?.Worker?.mode ?? placement.Worker?.mode ?? 'in-process';
}

/** The mode of a master; `stage` names the stage of a StageMaster. */
export function masterModeOf(placement: PlacementConfig, kind: MasterKind, stage?: string): MasterMode {
  if (kind === 'StageMaster' && stage !== undefined) return placement.stages?.[stage]?.StageMaster?.mode ?? placement.StageMaster?.mode ?? 'in-process';
  return placement[kind]?.mode ?? 'in-process';
}

export function comedyMode(mode: WorkerMode): ComedyMode {
  return mode === 'in-process' ? 'in-memory' : mode;
}

/**
 * Whether any actor of the job runs outside the job's process: then actors
 * are built from the workflow module in other processes or threads, and
 * workers serve their payloads to readers elsewhere.
 */
export function crossesProcesses(placement: PlacementConfig, stages: readonly string[]): boolean {
  return outOfProcessMasters(placement, stages).length > 0 || stages.some((stage) => workerModeOf(placement, stage) !== 'in-process');
}

/** The masters placed outside their parent's process, by name ("StageMaster of 'parse'"). */
function outOfProcessMasters(placement: PlacementConfig, stages: readonly string[]): string[] {
  const masters: [string, MasterMode][] = [
    ['MetaService', masterModeOf(placement, 'MetaService')],
    ['GlobalStateMaster', masterModeOf(placement, 'GlobalStateMaster')],
    ...stages.map((stage): [string, MasterMode] => [`StageMaster of '${stage}'`, masterModeOf(placement, 'StageMaster', stage)]),
  ];
  return masters.filter(([, mode]) => mode !== 'in-process').map(([name]) => name);
}

/** Checks a placement (from a file or the API) and names what is wrong with it. */
export function validatePlacement(placement: PlacementConfig, stages: readonly string[], source = 'placement'): PlacementConfig {
  const checkMode = (mode: unknown, where: string, modes: readonly string[]) => {
    if (!modes.includes(mode as string)) {
      throw new SolsticeError(`${source}: ${where} has mode '${String(mode)}'; expected one of ${modes.join(', ')}`);
    }
  };
  if (placement.Worker) checkMode(placement.Worker.mode, 'Worker', WORKER_MODES);
  for (const kind of ['MetaService', 'GlobalStateMaster', 'StageMaster'] as const) {
    if (placement[kind]) checkMode(placement[kind]!.mode, kind, MASTER_MODES);
  }
  for (const [stage, override] of Object.entries(placement.stages ?? {})) {
    if (!stages.includes(stage)) throw new SolsticeError(`${source}: stage '${stage}' is not in the job (stages: ${stages.join(', ')})`);
    if (override.Worker) checkMode(override.Worker.mode, `stages.${stage}.Worker`, WORKER_MODES);
    if (override.StageMaster) checkMode(override.StageMaster.mode, `stages.${stage}.StageMaster`, MASTER_MODES);
  }
  const remote = stages.filter((stage) => workerModeOf(placement, stage) === 'remote');
  if (remote.length > 0 && !placement.hosts?.length) {
    throw new SolsticeError(`${source}: stages ${remote.join(', ')} run 'remote' workers, which need a cluster: run with 'solstice-node start --hosts cluster.json'`);
  }
  if (remote.length > 0 && remote.length < stages.length) {
    const local = stages.filter((stage) => !remote.includes(stage));
    throw new SolsticeError(`${source}: on a cluster every stage's workers run on its hosts; stages ${local.join(', ')} do not`);
  }
  const threadedUnderForked = masterModeOf(placement, 'MetaService') !== 'forked' ? [] : [
    ...(masterModeOf(placement, 'GlobalStateMaster') === 'threaded' ? ['GlobalStateMaster'] : []),
    ...stages.filter((stage) => masterModeOf(placement, 'StageMaster', stage) === 'threaded').map((stage) => `StageMaster of '${stage}'`),
  ];
  if (threadedUnderForked.length > 0) {
    // Seen with comedy 2.1.7: the forked MetaService's process then never exits, and the job never ends.
    throw new SolsticeError(
      `${source}: a forked MetaService cannot have threaded masters (${threadedUnderForked.join(', ')}): their threads keep its process from ending; place them in-process or forked`,
    );
  }
  const masters = outOfProcessMasters(placement, stages);
  if (placement.hosts?.length && masters.length > 0) {
    throw new SolsticeError(`${source}: on a cluster the masters run in the job's process, where the cluster secret is; ${masters.join(', ')} would not`);
  }
  return placement;
}
