import { importVideos } from '../workflows/video_slice/videos-table.js';
import { describeFailure } from './run-command.js';

/** `solstice-node videos import DIR TABLE`: returns the process exit code. */
export async function importVideosCommand(dir: string, table: string): Promise<number> {
  try {
    const { added, total } = await importVideos(dir, table);
    process.stdout.write(`${added} video(s) added to ${table}; it lists ${total}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${describeFailure(error)}\n`);
    return 1;
  }
}
