import test from 'ava';
import { killAndResumeUntilDone } from './support/chaos-run.js';

test('SIGKILLed at random moments and resumed with --restore latest, the job writes every record exactly once', async (t) => {
  await killAndResumeUntilDone(t);
});
