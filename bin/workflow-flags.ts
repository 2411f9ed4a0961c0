import type { Argv, Options } from 'yargs';
import { ArgumentError } from '../lib/errors/index.js';
import { closest } from '../lib/option-check.js';
import { importWorkflow, resolveWorkflowPath, workflowName } from '../lib/workflow-loader.js';
import type { WorkflowOptions } from '../lib/workflow-options.js';

/** The options a workflow declares, under the name it goes by. */
export interface DeclaredWorkflow {
  name: string;
  options: WorkflowOptions;
}

/**
 * The options that the workflow named by `--workflow` in `args` declares,
 * for `--help` to show and the run to check flags against; undefined when
 * there is no `--workflow`, it declares none, or it cannot be loaded (the run
 * itself then says why).
 */
export async function declaredWorkflowOptions(args: readonly string[]): Promise<DeclaredWorkflow | undefined> {
  const spec = workflowArgument(args);
  if (spec === undefined) return undefined;
  try {
    const path = resolveWorkflowPath(spec);
    const module = await importWorkflow(path);
    return module.options ? { name: workflowName(path), options: module.options } : undefined;
  } catch {
    return undefined;
  }
}

function workflowArgument(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--workflow') return args[i + 1];
    if (arg.startsWith('--workflow=')) return arg.slice('--workflow='.length);
  }
  return undefined;
}

/** `y` with the workflow's options as flags (`minTotal` as `--min-total`), in a group of their own in `--help`. */
export function withWorkflowFlags<T>(y: Argv<T>, declared: DeclaredWorkflow | undefined): Argv<T> {
  if (!declared) return y;
  const group = `Options of workflow ${declared.name}:`;
  for (const [name, option] of Object.entries(declared.options)) {
    const flag: Options = {
      describe: option.type === 'number' ? `${option.describe} [number]` : option.describe,
      group,
      ...(option.type === 'number' ? {} : { type: option.type }),
      ...(option.choices ? { choices: [...option.choices] } : {}),
      ...(option.default === undefined ? {} : { default: option.default }),
    };
    y = y.option(kebab(name), flag) as Argv<T>;
  }
  return y;
}

/**
 * Refuses a flag of `config` that the workflow does not declare, naming the
 * flag, the closest one that is (the workflow's or the command's own:
 * `--wokers` is `--workers`) and the workflow's flags.
 */
export function refuseUndeclaredFlags(config: Record<string, unknown>, declared: DeclaredWorkflow, commandOptions: Iterable<string>): void {
  const flags = Object.keys(declared.options).map(kebab);
  const known = [...flags, ...[...commandOptions].map(kebab)];
  for (const key of Object.keys(config)) {
    if (Object.hasOwn(declared.options, key)) continue;
    const near = closest(kebab(key), known);
    throw new ArgumentError(
      `--${kebab(key)}`, String(config[key]),
      `Unknown option --${kebab(key)}${near ? ` (did you mean --${near}?)` : ''}: workflow ${declared.name} takes ${flags.map((flag) => `--${flag}`).join(', ')} besides the command's own options (see --help)`,
    );
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
