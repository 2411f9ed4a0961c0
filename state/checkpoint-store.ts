import { CheckpointCorruptError, CheckpointError, CheckpointNotFoundError, CheckpointStateMissingError } from '../lib/errors/index.js';
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

  /** Saves a worker's state for checkpoint `id`; resolves with its key and the bytes written. */
  async writeState(id: number, stage: string, worker: number, state: unknown): Promise<{ key: string; bytes: number }> {
    const key = `${this.dir(id)}state/${stage}/${worker}.json`;
    const text = JSON.stringify(state);
    await this.backend.write(key, text);
    return { key, bytes: Buffer.byteLength(text) };
  }

  async readState(key: string): Promise<unknown> {
    const bytes = await this.backend.read(key);
    if (!bytes) throw new CheckpointStateMissingError(key, this.backend.url);
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  }

  /** Publishes a checkpoint; resolves with the bytes of its manifest. Fails if that id was published before. */
  async publish(manifest: CheckpointManifest): Promise<number> {
    const text = JSON.stringify(manifest);
    const written = await this.backend.writeIfAbsent(`${this.dir(manifest.checkpointId)}${MANIFEST}`, text);
    if (!written) throw new CheckpointError(`Checkpoint ${manifest.checkpointId} of job '${this.jobId}' exists already`);
    return Buffer.byteLength(text);
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
    const key = `${this.dir(id)}${MANIFEST}`;
    const bytes = await this.backend.read(key);
    if (!bytes) {
      const known = await this.list();
      throw new CheckpointNotFoundError(this.jobId, id, this.backend.url, known);
    }
    let manifest: unknown;
    try {
      manifest = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      throw await this.corrupt(id, key, `not JSON: ${(error as Error).message}`);
    }
    const problem = manifestProblem(manifest, this.jobId, id);
    if (problem) throw await this.corrupt(id, key, problem);
    return manifest as CheckpointManifest;
  }

  private async corrupt(id: number, key: string, reason: string): Promise<CheckpointCorruptError> {
    const older = (await this.list()).filter((other) => other < id);
    return new CheckpointCorruptError(this.jobId, id, this.backend.url, key, reason, older);
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

/** What makes `value` no manifest of checkpoint `id` of `jobId`, if anything: the fields a restore reads. */
function manifestProblem(value: unknown, jobId: string, id: number): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const manifest = value as Partial<CheckpointManifest>;
  if (manifest.version !== 1) return `version ${JSON.stringify(manifest.version)}, where 1 is known`;
  if (manifest.jobId !== jobId) return `it names job ${JSON.stringify(manifest.jobId)}`;
  if (manifest.checkpointId !== id) return `it names checkpoint ${JSON.stringify(manifest.checkpointId)}`;
  if (manifest.stages === null || typeof manifest.stages !== 'object') return 'no stages';
  if (!Array.isArray(manifest.inFlight)) return 'no list of splits in flight';
  return undefined;
}
