import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkflowNotFoundError } from './errors/index.js';
import { JobGraph } from './job.js';
import { DIST_ROOT, PACKAGE_ROOT } from './package-root.js';
import { checkWorkflowConfig, type WorkflowOptions } from './workflow-options.js';

/** What a workflow module exports. */
export interface WorkflowModule {
  createJob(jobId: string, config: Record<string, unknown>): JobGraph | Promise<JobGraph>;
  /** The options `createJob` takes, if the workflow declares them: then no other is accepted. Without, its config is free-form. */
  options?: WorkflowOptions;
}

const MODULE_EXTENSIONS = ['.js', '.mjs', '.ts', '.mts'];
const BUILT_IN_DIR = join(DIST_ROOT, 'workflows');
const SOURCE_WORKFLOWS_DIR = join(PACKAGE_ROOT, 'workflows');

/** Names of the workflows that ship with the package. */
export function builtInWorkflows(): string[] {
  if (!existsSync(BUILT_IN_DIR)) return [];
  return readdirSync(BUILT_IN_DIR).filter((name) => existsSync(join(BUILT_IN_DIR, name, 'index.js'))).sort();
}

/**
 * Resolves `--workflow`, trying in order: the path relative to `cwd` (or
 * absolute), with or without its extension, or a folder with an index module
 * (a path into this package's `workflows/` source folder gives the compiled
 * built-in); then a built-in name (`simple_etl`); then the path relative to
 * this package's folder (`workflows/simple_etl` from anywhere). The error
 * names every place tried.
 */
export function resolveWorkflowPath(spec: string, cwd: string = process.cwd()): string {
  const tried: string[] = [];
  const fromCwd = isAbsolute(spec) ? spec : resolve(cwd, spec);
  const found = builtInFor(fromCwd) ?? moduleAt(fromCwd, tried);
  if (found) return found;
  const isBareName = !spec.includes('/') && !spec.includes(sep) && extname(spec) === '';
  if (isBareName) {
    const builtIn = join(BUILT_IN_DIR, spec, 'index.js');
    if (existsSync(builtIn)) return builtIn;
    tried.push(builtIn);
  }
  const inPackage = resolve(PACKAGE_ROOT, spec);
  if (!isAbsolute(spec) && isInSourceWorkflows(inPackage)) {
    const builtIn = builtInFor(inPackage);
    if (builtIn) return builtIn;
    tried.push(`${inPackage} (in the solstice-node package)`);
  }
  const known = builtInWorkflows();
  throw new WorkflowNotFoundError(
    spec,
    `no module found at ${fromCwd}; tried ${tried.join(', ')}` + (known.length ? `; built-in workflows: ${known.join(', ')}` : ''),
  );
}

/** The compiled module of a path into this package's workflows/ source folder, if it is one. */
function builtInFor(path: string): string | undefined {
  if (!isInSourceWorkflows(path)) return undefined;
  return moduleAt(join(BUILT_IN_DIR, relative(SOURCE_WORKFLOWS_DIR, path).replace(/\.(ts|mts)$/, '.js')), []);
}

function isInSourceWorkflows(path: string): boolean {
  const inSource = relative(SOURCE_WORKFLOWS_DIR, path);
  return !inSource.startsWith('..') && !isAbsolute(inSource) && inSource !== '';
}

/** The module at `path`, `path` plus an extension, or a folder's index module; adds what it looked for to `tried`. */
function moduleAt(path: string, tried: string[]): string | undefined {
  if (isFile(path)) return path;
  for (const ext of MODULE_EXTENSIONS) if (isFile(path + ext)) return path + ext;
  if (isDirectory(path)) {
    for (const ext of MODULE_EXTENSIONS) if (isFile(join(path, `index${ext}`))) return join(path, `index${ext}`);
    tried.push(`${path}/index{${MODULE_EXTENSIONS.join(',')}}`);
  } else {
    tried.push(`${path}{,${MODULE_EXTENSIONS.join(',')}}`);
  }
  return undefined;
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

let typeScriptLoaderRegistered = false;

async function registerTypeScriptLoader(): Promise<void> {
  if (typeScriptLoaderRegistered) return;
  const { register } = await import('tsx/esm/api');
  register();
  typeScriptLoaderRegistered = true;
}

/** Imports a workflow module by absolute path and checks that it exports `createJob`. */
export async function importWorkflow(path: string): Promise<WorkflowModule> {
  if (/\.m?ts$/.test(path)) await registerTypeScriptLoader();
  let module: Partial<WorkflowModule>;
  try {
    module = (await import(pathToFileURL(path).href)) as Partial<WorkflowModule>;
  } catch (error) {
    throw new WorkflowNotFoundError(path, `failed to load: ${(error as Error).message}`, { cause: error });
  }
  if (typeof module.createJob !== 'function') {
    throw new WorkflowNotFoundError(path, 'the module does not export a createJob(jobId, config) function');
  }
  if (module.options !== undefined && (typeof module.options !== 'object' || module.options === null || Array.isArray(module.options))) {
    throw new WorkflowNotFoundError(path, 'its `options` export must be an object of option declarations ({ name: { type, describe, default? } })');
  }
  return module as WorkflowModule;
}

/** The name a workflow module goes by in messages: its folder for an index module, else its file name. */
export function workflowName(path: string): string {
  const name = basename(path).replace(/\.(m?[jt]s)$/, '');
  return name === 'index' ? basename(dirname(path)) : name;
}

/** Builds the job a workflow module describes, from `config` checked against the options it declares (with their defaults), if it declares any. */
export async function createJobFromWorkflow(path: string, jobId: string, config: Record<string, unknown>): Promise<JobGraph> {
  const module = await importWorkflow(path);
  const checked = module.options ? checkWorkflowConfig(module.options, config, workflowName(path)) : config;
  const job = await module.createJob(jobId, checked);
  if (!(job instanceof JobGraph)) {
    throw new WorkflowNotFoundError(
      path,
      'createJob did not return a Job of this solstice-node package (is the workflow importing another copy of solstice-node?)',
    );
  }
  return job;
}
