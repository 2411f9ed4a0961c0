import { CheckpointCorruptError } from '../lib/errors/index.js';
import { CheckpointStore } from '../state/checkpoint-store.js';
import { defaultStateLocation, openStateBackend } from '../state/open-state-backend.js';
import { describeFailure } from './run-command.js';

/** `solstice-node checkpoints list`: one line per completed checkpoint. */
export async function listCheckpointsCommand(jobId: string, stateBackend: string | undefined): Promise<number> {
  try {
    const store = new CheckpointStore(openStateBackend(stateBackend ?? defaultStateLocation()), jobId);
    const ids = await store.list();
    if (ids.length === 0) {
      process.stdout.write(`job ${jobId} has no completed checkpoint in ${store.backend.url}\n`);
      return 0;
    }
    process.stdout.write('id  created                   final\n');
    for (const id of ids) {
      let manifest;
      try {
        manifest = await store.load(id);
      } catch (error) {
        if (!(error instanceof CheckpointCorruptError)) throw error;
        process.stdout.write(`${String(id).padEnd(3)} damaged: ${error.reason}\n`);
        continue;
      }
      process.stdout.write(`${String(id).padEnd(3)} ${manifest.createdAt}  ${manifest.final ? 'yes (job complete)' : 'no'}\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${describeFailure(error)}\n`);
    return 1;
  }
}
