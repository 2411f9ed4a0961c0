import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_PLACEMENT, type PlacementConfig, type WorkerMode } from '../lib/placement-config.js';
import { PlacementError } from '../lib/errors/index.js';

/** The placement of `run`: the `--placement` file if given, with `--workers` as the mode of every stage that the file does not place. */
export async function placementFromOptions(workers: WorkerMode | undefined, file: string | undefined): Promise<PlacementConfig> {
  let placement: PlacementConfig = DEFAULT_PLACEMENT;
  if (file) {
    const path = resolve(file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new PlacementError('--placement', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      placement = JSON.parse(text) as PlacementConfig;
    } catch (error) {
      throw new PlacementError('--placement', `${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  return workers ? { ...placement, Worker: { mode: workers } } : placement;
}
