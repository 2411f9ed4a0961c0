import { SolsticeError } from '../lib/errors.js';

/** Where a stage's workers run: in the job's process, in worker threads, or in forked processes (one each). */
export type WorkerMode = 'in-process' | 'threaded' | 'forked';

export const WORKER_MODES: readonly WorkerMode[] = ['in-process', 'threaded', 'forked'];

/** Comedy's name for each mode. */
export type ComedyMode = 'in-memory' | 'threaded' | 'forked';

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
  return placement;
}
