import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it holds. Tests wait on what happens, not on time: the
 * limit only turns a hang into a failure that says what never happened, and is
 * far beyond what a loaded machine needs.
 */
export async function until(what: string, condition: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${limitMs / 1000} s waiting until ${what}`);
    await sleep(20);
  }
}
