import test from 'ava';
import { killAndResumeLance } from './support/lance-chaos-run.js';

test('SIGKILLed at random moments and resumed with --restore latest, a job writing a Lance table with two writers holds every record exactly once', async (t) => {
  await killAndResumeLance(t, { kills: 4 });
});
