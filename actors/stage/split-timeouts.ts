import type { SplitDispatcher } from './split-dispatcher.js';

/** How long past its timeout a split may run before its worker is taken as hung: its own timer fires first if its thread is free. */
const GRACE_MS = 2000;

/**
 * The split timeout of a chain (the sum of its stages' splitTimeoutSecs;
 * docs/errors.md): a worker that holds a split past it and a grace is
 * killed as hung, where it can be (a worker of its own thread or process),
 * and a lost worker's split that had run past it is marked timed out, so
 * that its replacement fails it under the stage's policy instead of running
 * it again into the same hang.
 */
export class SplitTimeouts {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number | undefined,
    private readonly dispatcher: SplitDispatcher,
    private readonly kill: (worker: number, reason: string) => void,
  ) {}

  start(): void {
    if (this.timeoutMs === undefined || this.timer) return;
    this.timer = setInterval(() => {
      for (const worker of this.dispatcher.heldLongerThan(this.timeoutMs! + GRACE_MS)) {
        this.kill(worker, `it ran on its split past the splitTimeoutSecs (${this.timeoutMs! / 1000} s) and did not stop`);
      }
    }, 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** How long (seconds) a lost worker had run on its split, if past the timeout. */
  timedOut(worker: number): number | undefined {
    const heldMs = this.dispatcher.heldForMs(worker);
    return this.timeoutMs !== undefined && heldMs !== undefined && heldMs > this.timeoutMs ? heldMs / 1000 : undefined;
  }
}
