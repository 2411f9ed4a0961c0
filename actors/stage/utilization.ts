/** How a stage's workers spend their time, at one moment. */
export interface WorkerTime {
  /** Workers alive (those retiring included): what the stage costs. */
  workers: number;
  /** Workers processing a split. */
  busy: number;
  /** Idle workers held back while splits wait: the stage's output is full (its downstream is slower). */
  blocked: number;
  /** Idle workers with nothing to take while more input is still to come (its upstream is slower). */
  starved: number;
}

export type WorkerTimeTotals = { [K in keyof WorkerTime as `${K}Ms`]: number };

/**
 * Integrates a stage's {@link WorkerTime} over time: worker-milliseconds
 * alive, busy, blocked and starved since the stage started. The stage
 * master updates it whenever something changes; the counts hold in between.
 */
export class Utilization {
  private last = performance.now();
  private current: WorkerTime = { workers: 0, busy: 0, blocked: 0, starved: 0 };
  private readonly sums: WorkerTimeTotals = { workersMs: 0, busyMs: 0, blockedMs: 0, starvedMs: 0 };

  update(now: WorkerTime): void {
    this.advance();
    this.current = now;
  }

  /** The totals up to now. */
  totals(): WorkerTimeTotals {
    this.advance();
    return { ...this.sums };
  }

  private advance(): void {
    const now = performance.now();
    const ms = now - this.last;
    this.last = now;
    this.sums.workersMs += this.current.workers * ms;
    this.sums.busyMs += this.current.busy * ms;
    this.sums.blockedMs += this.current.blocked * ms;
    this.sums.starvedMs += this.current.starved * ms;
  }
}
