import { builtInWorkflows, resolveWorkflowPath, WorkflowNotFoundError } from '../../lib/index.js';

/**
 * The workflows the service runs, by the name a submission gives: the
 * built-in ones and the modules it was started with. A submission names one;
 * it cannot name a path, since the service would run any module it names.
 */
export class WorkflowCatalog {
  private readonly modules = new Map<string, string>();

  /** Resolves every module now: a module that is missing fails the service's start, not a submission. */
  constructor(modules: Record<string, string> = {}) {
    for (const name of builtInWorkflows()) this.modules.set(name, resolveWorkflowPath(name));
    for (const [name, path] of Object.entries(modules)) this.modules.set(name, resolveWorkflowPath(path));
  }

  /** The path of workflow `name`'s module; WorkflowNotFoundError listing the names known. */
  modulePath(name: string): string {
    const path = this.modules.get(name);
    if (path === undefined) throw new WorkflowNotFoundError(name, `not a workflow this service runs; it runs ${[...this.modules.keys()].join(', ') || 'none'}`);
    return path;
  }
}
