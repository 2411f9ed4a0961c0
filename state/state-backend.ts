/**
 * Where checkpoints live: a flat key space of whole objects. Keys use '/'
 * as separator. Every implementation makes a write atomic: a reader sees the
 * old object, the new one, or none, never a part.
 */
export interface StateBackend {
  /** The location as the user gave it (`file:///…`, `s3://…`, `webhdfs://…`). */
  readonly url: string;
  write(key: string, data: Uint8Array | string): Promise<void>;
  /** Writes only if no object has this key; resolves false if one had. Publishes manifests. */
  writeIfAbsent(key: string, data: Uint8Array | string): Promise<boolean>;
  /** The object, or undefined if there is none. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes every object whose key starts with `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
}
