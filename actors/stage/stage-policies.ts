/** The decisions a stage master asks about, as values it is given (docs/architecture.md#stage-masters). */

/** What a stage master knows when it decides whether to hand out more work. */
export interface DispatchState {
  /** Splits being processed by workers now. */
  inFlight: number;
  /** Finished splits not yet pulled by every downstream stage. */
  buffered: number;
}

/** Decides whether a stage may start another split. */
export interface BackpressurePolicy {
  canDispatch(state: DispatchState): boolean;
}

/**
 * Bounds a stage's output: a split may start only while the splits in flight
 * plus the finished splits still held for downstream stay under the capacity,
 * so the buffer can never exceed it. A slow downstream thus stops its producers.
 */
export class OutputCapacityPolicy implements BackpressurePolicy {
  /** `capacity`: read at each decision, since it follows an elastic stage's worker count. */
  constructor(private readonly capacity: () => number) {}

  canDispatch(state: DispatchState): boolean {
    return state.inFlight + state.buffered < this.capacity();
  }
}

/** For stages without downstream (sinks): nothing is buffered, so only worker count limits them. */
export class UnboundedPolicy implements BackpressurePolicy {
  canDispatch(): boolean {
    return true;
  }
}

/** Decides whether a stage should pull more input from its upstreams. */
export interface PrefetchPolicy {
  shouldPull(queued: number, workers: number): boolean;
}

/** Keeps about one queued split per worker, so workers rarely wait and little sits in queues. */
export class OnePerWorkerPrefetch implements PrefetchPolicy {
  shouldPull(queued: number, workers: number): boolean {
    return queued < workers;
  }
}

/**
 * What a stage master knows when it decides how many workers its stage
 * should have: how its workers spent the last window, and its input.
 */
export interface StageLoad {
  /** Workers taking splits (those retiring not counted). */
  workers: number;
  /** Shares of the workers' time in the window (0 to 1): processing a split; idle, held back by a full output; idle, waiting for input. */
  busy: number;
  blocked: number;
  starved: number;
  /** Splits queued that a worker could take now. */
  queued: number;
  /** No more input will come. */
  inputEnded: boolean;
  /** Milliseconds since the worker count last changed (or the stage started). */
  msSinceChange: number;
  /**
   * Workers that share the master's thread (in-process placement): how busy
   * that thread's event loop was in the window (0 to 1). More such workers
   * only add to it: past about 0.9, they would wait for it.
   */
  sharedThreadBusy?: number;
}

/** How many workers a stage should have, and why. */
export interface ScalingDecision {
  target: number;
  reason: string;
}

/** Decides how many workers a stage should have; the stage master adds or drains workers to match. */
export interface Autoscaler {
  /** The worker count the stage starts with. */
  readonly initialWorkers: number;
  /** Whether the count may change while the stage runs. */
  readonly elastic: boolean;
  decide(load: StageLoad): ScalingDecision;
}

/** A fixed `parallelism`: the stage keeps the workers it started with. */
export class FixedParallelism implements Autoscaler {
  readonly elastic = false;

  constructor(readonly initialWorkers: number) {}

  decide(): ScalingDecision {
    return { target: this.initialWorkers, reason: 'fixed parallelism' };
  }
}

/** The thresholds of {@link ElasticParallelism}. */
export interface ElasticThresholds {
  /** Grow when the workers are busy at least this share of the time. Default 0.8 (Ray Data's actor pools: 0.8). */
  upBusy: number;
  /** Shrink when the workers are busy less than this share. Default 0.5 (Ray Data: 0.5). */
  downBusy: number;
  /** No growth from a window where workers were starved or blocked this share of the time: more workers would wait too. Default 0.2. */
  maxWaiting: number;
  /** Milliseconds after a change before growing again: the new worker shows in a window first. Default 1000. */
  upCooldownMs: number;
  /** Milliseconds after a change before shrinking: a dip between bursts does not drain a worker. Default 3000. */
  downCooldownMs: number;
}

/** An event loop busy this share of the time has no room for another worker sharing it. */
const SHARED_THREAD_FULL = 0.9;

export const DEFAULT_ELASTIC_THRESHOLDS: ElasticThresholds = { upBusy: 0.8, downBusy: 0.5, maxWaiting: 0.2, upCooldownMs: 1000, downCooldownMs: 3000 };

/**
 * `parallelism: [min, max]`: one worker more while the workers are busy and
 * neither starved by the stage's upstream nor blocked by its downstream (the
 * stage is the bottleneck, and splits wait for it); one fewer while they are
 * mostly idle; cooldowns between changes stop flapping. The job's budget of
 * busy workers (docs/autoscaling.md) may grant fewer than asked.
 */
export class ElasticParallelism implements Autoscaler {
  readonly elastic = true;
  readonly initialWorkers: number;

  constructor(private readonly bounds: { min: number; max: number }, private readonly thresholds: ElasticThresholds = DEFAULT_ELASTIC_THRESHOLDS) {
    this.initialWorkers = bounds.min;
  }

  decide(load: StageLoad): ScalingDecision {
    const { min, max } = this.bounds;
    const { upBusy, downBusy, maxWaiting, upCooldownMs, downCooldownMs } = this.thresholds;
    const { workers, busy, blocked, starved, queued, inputEnded, msSinceChange, sharedThreadBusy } = load;
    const shares = `busy ${busy.toFixed(2)}, starved ${starved.toFixed(2)}, blocked ${blocked.toFixed(2)}`;
    if (workers < min) return { target: min, reason: `below the minimum of ${min}` };
    if (busy >= upBusy) {
      if (workers >= max) return { target: workers, reason: `${shares}; at the maximum of ${max}` };
      if (starved >= maxWaiting) return { target: workers, reason: `${shares}; starved by its upstream: more workers would wait` };
      if (blocked >= maxWaiting) return { target: workers, reason: `${shares}; blocked by its downstream: more workers would wait` };
      if (queued === 0 && inputEnded) return { target: workers, reason: `${shares}; no input left to share` };
      if (sharedThreadBusy !== undefined && sharedThreadBusy >= SHARED_THREAD_FULL) {
        return { target: workers, reason: `${shares}; its workers share the job's thread, busy ${sharedThreadBusy.toFixed(2)}: more would wait for it` };
      }
      if (msSinceChange < upCooldownMs) return { target: workers, reason: `${shares}; cooling down after the last change` };
      return { target: workers + 1, reason: `${shares}, ${queued} split(s) queued: the stage is the bottleneck` };
    }
    if (busy < downBusy && workers > min) {
      const why = starved >= blocked ? (inputEnded && queued === 0 ? 'its input is done' : 'starved by its upstream') : 'blocked by its downstream';
      if (msSinceChange < downCooldownMs) return { target: workers, reason: `${shares}; ${why}; cooling down after the last change` };
      return { target: workers - 1, reason: `${shares}: mostly idle, ${why}` };
    }
    return { target: workers, reason: shares };
  }
}

/** The decisions a stage master asks about: when to start a split, when to pull input, how many workers to run. */
export interface StagePolicies {
  backpressure: BackpressurePolicy;
  prefetch: PrefetchPolicy;
  autoscaler: Autoscaler;
}

/**
 * The policies of a stage: its output bounded by `bufferCapacity` when
 * downstream stages read it, about one queued split per worker, and its
 * worker count fixed, or elastic between its bounds when they differ and it
 * may scale (see docs/autoscaling.md for what may not).
 */
export function defaultStagePolicies(options: {
  hasDownstream: boolean; bufferCapacity: () => number; bounds: { min: number; max: number }; elastic: boolean;
}): StagePolicies {
  const { bounds } = options;
  return {
    backpressure: options.hasDownstream ? new OutputCapacityPolicy(options.bufferCapacity) : new UnboundedPolicy(),
    prefetch: new OnePerWorkerPrefetch(),
    autoscaler: options.elastic && bounds.max > bounds.min ? new ElasticParallelism(bounds) : new FixedParallelism(bounds.min),
  };
}
