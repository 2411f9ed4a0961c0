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
  constructor(private readonly capacity: number) {}

  canDispatch(state: DispatchState): boolean {
    return state.inFlight + state.buffered < this.capacity;
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

/** What a stage master knows when it decides how many workers its stage should have. */
export interface ScalingState {
  workers: number;
  queued: number;
  inFlight: number;
  buffered: number;
}

/** Decides how many workers a stage should have; the stage master adds or retires workers to match. */
export interface Autoscaler {
  desiredWorkers(state: ScalingState): number;
}

/** A fixed `parallelism`: the stage keeps the workers it started with. */
export class FixedParallelism implements Autoscaler {
  constructor(private readonly workers: number) {}

  desiredWorkers(): number {
    return this.workers;
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
 * starting worker count kept.
 */
export function defaultStagePolicies(options: { hasDownstream: boolean; bufferCapacity: number; workers: number }): StagePolicies {
  return {
    backpressure: options.hasDownstream ? new OutputCapacityPolicy(options.bufferCapacity) : new UnboundedPolicy(),
    prefetch: new OnePerWorkerPrefetch(),
    autoscaler: new FixedParallelism(options.workers),
  };
}
