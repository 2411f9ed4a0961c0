import { availableParallelism } from 'node:os';
import type { JobGraph } from '../lib/job.js';
import type { PlacementConfig } from '../lib/placement-config.js';
import { workerModeOf } from '../lib/placement-config.js';
import type { StageMetrics } from '../protocol/messages.js';

/** A window of busy time shorter than this says little; one longer than this is stale: the splits in flight say more then. */
const WINDOW_MS = { min: 200, max: 3000 };
/** Workers granted this recently count as busy: they may still be starting, and a window that holds their start misses them. */
const GRANT_SETTLES_MS = 2000;

/**
 * The job's budget of busy workers ({@link JobOptions.maxWorkers}), which
 * its elastic stages share: a stage that asks for more workers gets as many
 * as leave the job's busy workers, measured over the last seconds, within
 * the budget. A worker that waits for input, or for room downstream, costs
 * no core, so the budget counts busy ones: on 2 cores a job of a source, a
 * CPU-bound map and a sink, the first and the last mostly idle, grows the
 * map to 2 workers, not beyond.
 */
export class WorkerBudget {
  readonly maxWorkers: number;
  private previous: { at: number; busyMs: number } | undefined;
  private readonly recentGrants: { at: number; workers: number }[] = [];

  constructor(job: JobGraph, placement: PlacementConfig, private readonly metrics: () => Promise<StageMetrics[]>) {
    this.maxWorkers = job.options.maxWorkers ?? defaultMaxWorkers(job, placement);
  }

  async grant(wanted: number): Promise<{ granted: number; why: string }> {
    const now = performance.now();
    while (this.recentGrants.length > 0 && now - this.recentGrants[0]!.at > GRANT_SETTLES_MS) this.recentGrants.shift();
    const busy = (await this.busyWorkers()) + this.recentGrants.reduce((sum, grant) => sum + grant.workers, 0);
    const free = this.maxWorkers - busy;
    // Half a core free is worth a worker: the stage that asks is busy, so it will use it.
    const granted = Math.max(0, Math.min(wanted, Math.floor(free + 0.5)));
    if (granted > 0) this.recentGrants.push({ at: now, workers: granted });
    return { granted, why: `${busy.toFixed(1)} of the job's ${this.maxWorkers} workers busy or just granted (maxWorkers)` };
  }

  /** Workers busy over the window since the last ask, or, with none that fits, the splits in flight now. */
  private async busyWorkers(): Promise<number> {
    const stages = await this.metrics();
    const now = performance.now();
    const busyMs = stages.reduce((sum, stage) => sum + (stage.workerTime?.busyMs ?? 0), 0);
    const previous = this.previous;
    this.previous = { at: now, busyMs };
    const windowMs = previous ? now - previous.at : 0;
    if (previous && windowMs >= WINDOW_MS.min && windowMs <= WINDOW_MS.max) return (busyMs - previous.busyMs) / windowMs;
    // inFlight is the chain's, repeated on each of its stages: counted once, on those that carry workerTime.
    return stages.reduce((sum, stage) => sum + (stage.workerTime ? stage.inFlight : 0), 0);
  }
}

/** The cores of this machine, or, for workers on remote hosts, the slots of the cluster's hosts. */
function defaultMaxWorkers(job: JobGraph, placement: PlacementConfig): number {
  const remote = job.stageNames.some((stage) => workerModeOf(placement, stage) === 'remote');
  const slots = (placement.hosts ?? []).reduce((sum, host) => sum + host.slots, 0);
  return remote && slots > 0 ? slots : availableParallelism();
}
