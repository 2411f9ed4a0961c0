import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StateBackendError, describeCause } from '../lib/errors/index.js';
import type { StateBackend } from './state-backend.js';
import { directoryOfPrefix, stateKeyParts } from './state-keys.js';

/**
 * A directory on a local (or mounted) file system. Writes go to a temporary
 * file that is then renamed over the key, which POSIX makes atomic;
 * `writeIfAbsent` links the temporary file to the key, which fails if the
 * key exists. A file system error rejects as a StateBackendError naming the
 * operation and the path, with the error as its cause.
 */
export class LocalDirectoryBackend implements StateBackend {
  readonly url: string;

  constructor(readonly root: string) {
    this.url = pathToFileURL(root).href;
  }

  async write(key: string, data: Uint8Array | string): Promise<void> {
    const path = this.pathOf(key);
    try {
      const temporary = await this.writeTemporary(path, data);
      await rename(temporary, path);
    } catch (error) {
      throw this.failure('write', path, error);
    }
  }

  async writeIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> {
    const path = this.pathOf(key);
    try {
      const temporary = await this.writeTemporary(path, data);
      try {
        await link(temporary, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await unlink(temporary);
      }
    } catch (error) {
      throw this.failure('write', path, error);
    }
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.failure('read', path, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.pathOf(directoryOfPrefix(prefix));
    let entries;
    try {
      entries = await readdir(base, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.failure('list', base, error);
    }
    return entries
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.tmp-'))
      .map((entry) => relative(this.root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (prefix.endsWith('/')) {
      await this.remove(this.pathOf(prefix.slice(0, -1)));
      return;
    }
    for (const key of await this.list(prefix)) await this.remove(this.pathOf(key));
  }

  private async remove(path: string): Promise<void> {
    try {
      await rm(path, { recursive: true, force: true });
    } catch (error) {
      throw this.failure('delete', path, error);
    }
  }

  private pathOf(key: string): string {
    return join(this.root, ...stateKeyParts(key));
  }

  private async writeTemporary(path: string, data: Uint8Array | string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `.tmp-${randomUUID()}`);
    await writeFile(temporary, data, { flush: true });
    return temporary;
  }

  private failure(operation: string, path: string, cause: unknown): StateBackendError {
    return new StateBackendError(this.url, operation, path, `Local directory ${this.root}: ${operation} ${path} failed: ${describeCause(cause)}`, { cause });
  }
}
