import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateLocationError } from '../lib/errors/index.js';
import { LocalDirectoryBackend } from './local-directory-backend.js';
import { S3StateBackend } from './s3-state-backend.js';
import type { StateBackend } from './state-backend.js';
import { WebHdfsStateBackend } from './webhdfs-state-backend.js';

/**
 * The state location used when none is given: `.solstice` under the working
 * directory. Every job keeps its checkpoints under `<location>/<jobId>/checkpoints/`,
 * so one location holds many jobs (see CheckpointStore).
 */
export function defaultStateLocation(cwd: string = process.cwd()): string {
  return resolve(cwd, '.solstice');
}

function schemeOf(location: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
}

/** The location with a relative local path made absolute against the working directory; URLs as they are. */
export function absoluteStateLocation(location: string): string {
  return schemeOf(location) === undefined && !isAbsolute(location) ? resolve(location) : location;
}

/** The path of a `file://` URL, which must be absolute: `file:///var/state`, not `file://state` (whose `state` is a host). */
function filePath(location: string): string {
  try {
    return fileURLToPath(location);
  } catch (error) {
    throw new StateLocationError(location, `a file:// URL needs an absolute path, as in file:///var/solstice (three slashes); for a folder relative to the working directory give the path alone (${(error as Error).message})`);
  }
}

/** Opens a state backend from a URL (`file:///…`, `s3://bucket/prefix?endpoint=…`, `webhdfs://namenode:port/path?user=…`) or a local path (relative to the working directory). */
export function openStateBackend(location: string): StateBackend {
  const scheme = schemeOf(location);
  if (scheme === undefined) return new LocalDirectoryBackend(absoluteStateLocation(location));
  if (scheme === 'file') return new LocalDirectoryBackend(filePath(location));
  if (scheme === 's3') return new S3StateBackend(location);
  if (scheme === 'webhdfs') return new WebHdfsStateBackend(location);
  throw new StateLocationError(location, `unsupported scheme '${scheme}://' (supported: a path, file://, s3://, webhdfs://)`);
}
