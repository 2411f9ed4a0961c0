import type { Pingable } from '../protocol/actor-apis.js';
import type { ActorLink } from '../protocol/actor-link.js';

/** Why an actor that answered no heartbeat was lost: the end of "(pid 12) answered no heartbeat for 3.1 s and was killed". */
export function silenceReason(silentMs: number): string {
  return `answered no heartbeat for ${(silentMs / 1000).toFixed(1)} s and was killed`;
}

/**
 * Pings one actor in another thread, process or host; when it has answered
 * nothing for `timeoutMs`, calls `onSilent` with why it is taken as hung
 * (the caller records the reason, then kills it, so that its loss names it).
 */
export function watchSilence(actor: ActorLink<Pingable>, timeoutMs: number, onSilent: (reason: string, silentMs: number) => void): Heartbeats {
  const heartbeats = new Heartbeats([actor], timeoutMs, (_, silentMs) => onSilent(silenceReason(silentMs), silentMs));
  heartbeats.start([0]);
  return heartbeats;
}

/**
 * Pings actors (workers, masters) in other processes or threads and reports
 * one that has answered nothing for `timeoutMs`. Comedy notices only a child
 * that exits; a hung one (an endless loop, a deadlock, a stopped process)
 * would hold its splits, or the job, forever.
 */
export class Heartbeats {
  private timer: NodeJS.Timeout | undefined;
  private readonly lastAnswer = new Map<number, number>();
  private readonly waiting = new Set<number>();

  constructor(
    private readonly workers: readonly ActorLink<Pingable>[],
    private readonly timeoutMs: number,
    private readonly onSilent: (workerIndex: number, silentMs: number) => void,
  ) {}

  /** Starts pinging the workers at these indexes, a few times per timeout. */
  start(indexes: readonly number[]): void {
    const now = Date.now();
    for (const index of indexes) this.lastAnswer.set(index, now);
    const everyMs = Math.max(50, Math.min(1000, this.timeoutMs / 4));
    this.timer = setInterval(() => this.beat(), everyMs);
    this.timer.unref();
  }

  /** Stops watching a worker (it is gone). */
  forget(index: number): void {
    this.lastAnswer.delete(index);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.lastAnswer.clear();
  }

  private beat(): void {
    const now = Date.now();
    for (const [index, answeredAt] of this.lastAnswer) {
      const silentMs = now - answeredAt;
      if (silentMs > this.timeoutMs) {
        this.lastAnswer.delete(index);
        this.onSilent(index, silentMs);
        continue;
      }
      if (this.waiting.has(index)) continue;
      this.waiting.add(index);
      this.workers[index]!.ask('ping').then(
        () => {
          this.waiting.delete(index);
          if (this.lastAnswer.has(index)) this.lastAnswer.set(index, Date.now());
        },
        // A worker that cannot answer is either gone (its exit is reported) or will miss the timeout.
        () => this.waiting.delete(index),
      );
    }
  }
}
