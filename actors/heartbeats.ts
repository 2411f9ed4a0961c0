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
  const heartbeats = new Heartbeats(timeoutMs, (_, silentMs) => onSilent(silenceReason(silentMs), silentMs));
  heartbeats.watch(0, actor);
  return heartbeats;
}

interface Watched {
  actor: ActorLink<Pingable>;
  answeredAt: number;
  waiting: boolean;
}

/**
 * Pings actors (workers, masters) in other processes or threads and reports
 * one that has answered nothing for `timeoutMs`. Comedy notices only a child
 * that exits; a hung one (an endless loop, a deadlock, a stopped process)
 * would hold its splits, or the job, forever.
 */
export class Heartbeats {
  private timer: NodeJS.Timeout | undefined;
  private readonly watched = new Map<number, Watched>();

  constructor(private readonly timeoutMs: number, private readonly onSilent: (key: number, silentMs: number) => void) {}

  /** Starts pinging `actor`, a few times per timeout; `key` names it to `onSilent` and {@link forget}. */
  watch(key: number, actor: ActorLink<Pingable>): void {
    this.watched.set(key, { actor, answeredAt: Date.now(), waiting: false });
    if (this.timer) return;
    const everyMs = Math.max(50, Math.min(1000, this.timeoutMs / 4));
    this.timer = setInterval(() => this.beat(), everyMs);
    this.timer.unref();
  }

  /** Stops watching an actor (it is gone). */
  forget(key: number): void {
    this.watched.delete(key);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private beat(): void {
    const now = Date.now();
    for (const [key, watched] of this.watched) {
      const silentMs = now - watched.answeredAt;
      if (silentMs > this.timeoutMs) {
        this.watched.delete(key);
        this.onSilent(key, silentMs);
        continue;
      }
      if (watched.waiting) continue;
      watched.waiting = true;
      watched.actor.ask('ping').then(
        () => {
          watched.waiting = false;
          watched.answeredAt = Date.now();
        },
        // An actor that cannot answer is either gone (its exit is reported) or will miss the timeout.
        () => (watched.waiting = false),
      );
    }
  }
}
