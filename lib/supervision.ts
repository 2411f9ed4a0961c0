/**
 * What happens when a stage's worker is lost (its process or thread ends, or
 * it stops answering heartbeats): the worker alone is replaced where that is
 * exact, else the whole job restarts from its last completed checkpoint, at
 * most `maxRestarts` times within `withinSecs` for this stage; one more loss
 * fails the job. See docs/supervision.md.
 */
export interface SupervisionPolicy {
  /** Restarts allowed within the window. 0: the first lost worker fails the job. Default 3. */
  readonly maxRestarts?: number;
  /** The sliding window, in seconds, that restarts are counted in. Default 60. */
  readonly withinSecs?: number;
  /**
   * A worker in another process or thread that answers no heartbeat for this
   * long is taken as hung: it is killed and counts as lost. It has to cover
   * the longest synchronous stretch of the operator (a CPU-bound split blocks
   * the answer). Default 60.
   */
  readonly heartbeatTimeoutSecs?: number;
  /**
   * 'worker' (the default): a lost worker is replaced alone where that is
   * exact (docs/supervision.md#replacing-the-lost-worker-alone); 'job': any
   * lost worker of the stage restarts the whole job from its last completed
   * checkpoint (Flink's full failover), for operators whose splits must not
   * run twice while the job runs.
   */
  readonly failover?: 'worker' | 'job';
}

export type ResolvedSupervision = Required<SupervisionPolicy>;

export const DEFAULT_SUPERVISION: ResolvedSupervision = { maxRestarts: 3, withinSecs: 60, heartbeatTimeoutSecs: 60, failover: 'worker' };

/** A stage's own policy over the job's, over the defaults. */
export function resolveSupervision(jobPolicy: SupervisionPolicy | undefined, stagePolicy: SupervisionPolicy | undefined): ResolvedSupervision {
  return { ...DEFAULT_SUPERVISION, ...withoutUndefined(jobPolicy), ...withoutUndefined(stagePolicy) };
}

function withoutUndefined(policy: SupervisionPolicy | undefined): SupervisionPolicy {
  return Object.fromEntries(Object.entries(policy ?? {}).filter(([, value]) => value !== undefined));
}

/** Counts each stage's restarts in its sliding window. */
export class RestartBudget {
  private readonly restarts = new Map<string, number[]>();

  /** Every stage's recorded losses, by stage. */
  snapshot(): Record<string, number[]> {
    return Object.fromEntries([...this.restarts].map(([stage, at]) => [stage, [...at]]));
  }

  /** Records losses of `stage` already answered elsewhere (workers replaced while the job ran), at their times. */
  record(stage: string, at: readonly number[]): void {
    if (at.length > 0) this.restarts.set(stage, [...(this.restarts.get(stage) ?? []), ...at]);
  }

  /** Records a lost worker of `stage` at `now`; false when that is one more than the policy allows. */
  take(stage: string, policy: ResolvedSupervision, now = Date.now()): { allowed: boolean; failures: number } {
    const recent = (this.restarts.get(stage) ?? []).filter((at) => now - at < policy.withinSecs * 1000);
    recent.push(now);
    this.restarts.set(stage, recent);
    return { allowed: recent.length <= policy.maxRestarts, failures: recent.length };
  }
}
