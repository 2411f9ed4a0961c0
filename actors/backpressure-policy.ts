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
