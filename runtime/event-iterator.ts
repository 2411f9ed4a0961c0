import type { EventEmitter } from 'node:events';
import { RUNNER_EVENT_NAMES, type RunnerEvent, type RunnerEventMap, type RunnerEventName } from './runner-events.js';

type Listen = (name: RunnerEventName, listener: (data: unknown) => void) => void;

/**
 * A runner's events as an async iterator, from now until `done` (its last
 * event), which it yields and then ends. Events come in as they are emitted
 * and wait in a queue until read; leaving the loop (`break`) stops listening.
 */
export function eventIterator(runner: EventEmitter<RunnerEventMap>): AsyncIterableIterator<RunnerEvent> {
  const queued: RunnerEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const listeners = RUNNER_EVENT_NAMES.map((type) => {
    const listener = (data: unknown) => {
      queued.push({ type, data } as RunnerEvent);
      wake?.();
    };
    (runner.on as Listen).call(runner, type, listener);
    return [type, listener] as const;
  });
  const close = () => {
    ended = true;
    for (const [type, listener] of listeners) (runner.off as Listen).call(runner, type, listener);
    wake?.();
  };
  const iterator: AsyncIterableIterator<RunnerEvent> = {
    async next(): Promise<IteratorResult<RunnerEvent>> {
      while (queued.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const event = queued.shift();
      if (!event) return { done: true, value: undefined };
      if (event.type === 'done') close();
      return { done: false, value: event };
    },
    async return(): Promise<IteratorResult<RunnerEvent>> {
      close();
      queued.length = 0;
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
