import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding this package's package.json (this file is built to dist/lib/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the compiled modules live. */
export const DIST_ROOT = resolve(PACKAGE_ROOT, 'dist');
