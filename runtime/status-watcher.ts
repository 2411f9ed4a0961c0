import type { EventEmitter } from 'node:events';
import { RUNNER_EVENT_NAMES, StatusChanges, type RunnerEventMap } from './runner-events.js';
import type { Logger } from '../lib/logger.js';
import type { RunnerStatus } from './runner-options.js';

export const DEFAULT_EVENT_INTERVAL_MS = 1000;

/** The events read off the status; `failure` and `done` the runner emits itself. */
const STATUS_EVENTS = RUNNER_EVENT_NAMES.filter((name) => name !== 'failure' && name !== 'done');

interface WatchedRunner extends EventEmitter<RunnerEventMap> {
  status(): Promise<RunnerStatus>;
}

/**
 * Reads a running job's status every interval while anyone listens to the
 * events it brings (`progress`, `checkpoint`, `scale`, `workerReplaced`,
 * `deadLetter`) and emits them on the runner; once more when the run has
 * ended, so that its last checkpoint and dead letters are told before `done`.
 */
export class StatusWatcher {
  private readonly changes = new StatusChanges();
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;

  constructor(private readonly runner: WatchedRunner, private readonly intervalMs: number, private readonly log: Logger) {}

  start(): void {
    this.timer ??= setInterval(() => void this.read(), this.intervalMs);
  }

  /** Stops reading, after a last read of the final status. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
    await this.read();
  }

  private read(): Promise<void> {
    if (this.reading || !STATUS_EVENTS.some((name) => this.runner.listenerCount(name) > 0)) return this.reading ?? Promise.resolve();
    this.reading = this.emitFrom().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async emitFrom(): Promise<void> {
    let status: RunnerStatus;
    try {
      status = await this.runner.status();
    } catch (error) {
      // Between two attempts the actors that answer are gone: the next read tells what changed.
      this.log.debug({ err: error }, 'status not read for the events; the next read tells what changed');
      return;
    }
    this.runner.emit('progress', status);
    for (const event of this.changes.changes(status)) emit(this.runner, event.type, event.data);
  }
}

function emit<K extends keyof RunnerEventMap>(runner: EventEmitter<RunnerEventMap>, name: K, data: RunnerEventMap[K][0]): void {
  (runner.emit as (name: K, data: RunnerEventMap[K][0]) => boolean).call(runner, name, data);
}
