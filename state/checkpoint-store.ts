import { CheckpointError, CheckpointNotFoundError, CheckpointStateMissingError } from '../lib/errors/index.js';
import type { CheckpointManifest } from './checkpoint-manifest.js';
import type { StateBackend } from './state-backend.js';

const MANIFEST = 'MANIFEST.json';

/** Checkpoint ids are positive integers; keys pad them so they sort. */
function idKey(id: number): string {
  return String(id).padStart(10, '0');
}

/** A job's checkpoints in a state backend: `<jobId>/checkpoints/<id>/{MANIFEST.json,state/...}`. */
export class CheckpointStore {
  constructor(readonly backend: StateBackend, readonly jobId: string) {}

  private get root(): string {
    return `${this.jobId}/checkpoints/`;
  }

  private dir(id: number): string {
    return `${this.root}${idKey(id)}/`;
  }

  async writeState(id: number, stage: string, worker: number, state: unknown): Promise<string> {
    const key = `${this.dir(id)}state/${stage}/${worker}.json`;
    await this.backend.write(key, JSON.stringify(state));
    return key;
  }

  async readState(key: string): Promise<unknown> {
    const bytes = await this.backend.read(key);
    if (!bytes) throw new CheckpointStateMissingError(key, this.backend.url);
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  }

  /** Publishes a checkpoint. Fails if that id was published before. */
  async publish(manifest: CheckpointManifest): Promise<void> {
    const written = await this.backend.writeIfAbsent(`${this.dir(manifest.checkpointId)}${MANIFEST}`, JSON.stringify(manifest));
    if (!written) throw new CheckpointError(`Checkpoint ${manifest.checkpointId} of job '${this.jobId}' exists already`);
  }

  /** Ids of every checkpoint directory, complete or not, ascending. */
  private async allIds(): Promise<number[]> {
    const ids = new Set<number>();
    for (const key of await this.backend.list(this.root)) {
      const id = Number(key.slice(this.root.length).split('/')[0]);
      if (Number.isInteger(id)) ids.add(id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  /** Ids of completed (published) checkpoints, ascending. */
  async list(): Promise<number[]> {
    const keys = await this.backend.list(this.root);
    return keys
      .filter((key) => key.endsWith(`/${MANIFEST}`))
      .map((key) => Number(key.slice(this.root.length).split('/')[0]))
      .filter(Number.isInteger)
      .sort((a, b) => a - b);
  }

  /** The highest id ever used, complete or not (new checkpoints take higher ids). */
  async highestId(): Promise<number> {
    return (await this.allIds()).at(-1) ?? 0;
  }

  async load(id: number): Promise<CheckpointManifest> {
    const bytes = await this.backend.read(`${this.dir(id)}${MANIFEST}`);
    if (!bytes) {
      const known = await this.list();
      throw new CheckpointNotFoundError(this.jobId, id, this.backend.url, known);
    }
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as CheckpointManifest;
  }

  async latest(): Promise<CheckpointManifest | undefined> {
    const id = (await this.list()).at(-1);
    return id === undefined ? undefined : this.load(id);
  }

  /** Keeps the newest `keep` completed checkpoints; removes older ones and abandoned partial ones below the newest. */
  async retain(keep: number): Promise<void> {
    const completed = await this.list();
    const kept = new Set(completed.slice(-keep));
    const newest = completed.at(-1) ?? 0;
    for (const id of await this.allIds()) {
      if (id < newest && !kept.has(id)) await this.backend.deletePrefix(this.dir(id));
    }
  }
}
