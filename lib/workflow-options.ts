import { z } from 'zod';
import { ArgumentError } from './errors/index.js';
import { checkOptions } from './option-check.js';

/**
 * One option a workflow takes: from `solstice-node run --name value` or from
 * the config given to its `createJob`. Declared options are shown by
 * `run --workflow W --help`, checked, and given their defaults before
 * `createJob` runs; a flag the workflow does not declare is refused.
 */
export interface WorkflowOption {
  type: 'string' | 'number' | 'boolean';
  /** One line for `--help`. */
  describe: string;
  default?: string | number | boolean;
  /** The values allowed. */
  choices?: readonly (string | number)[];
  /** A number option that takes whole numbers only. */
  integer?: boolean;
  /** A number option's least value. */
  min?: number;
  /** The option may be given more than once (or as a list): its value is then a list. */
  multiple?: boolean;
}

/** A workflow's options by name, as its module exports them: `export const options = { rows: { type: 'number', ... } } satisfies WorkflowOptions`. */
export type WorkflowOptions = Record<string, WorkflowOption>;

/** The value of one declared option, as `createJob` gets it. */
type OptionValue<O extends WorkflowOption> = O extends { choices: readonly (infer C)[] } ? C
  : O['type'] extends 'number' ? number : O['type'] extends 'boolean' ? boolean : string;

/** The config `createJob` gets for `Options` once checked: each option's type, a list for `multiple`, and never undefined where there is a default. */
export type WorkflowConfig<Options extends WorkflowOptions> = {
  [Name in keyof Options]: (Options[Name] extends { multiple: true } ? OptionValue<Options[Name]> | OptionValue<Options[Name]>[] : OptionValue<Options[Name]>)
    | (Options[Name] extends { default: unknown } ? never : undefined);
};

/**
 * `config` checked against the options `workflow` declares, with the
 * defaults of those not given: an option the workflow does not declare, a
 * value of the wrong type or outside its choices is an ArgumentError naming
 * the option, the value and what is allowed.
 */
export function checkWorkflowConfig<Options extends WorkflowOptions>(options: Options, config: object, workflow: string): WorkflowConfig<Options> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, option] of Object.entries(options)) shape[name] = optionSchema(option);
  const schema = z.strictObject(shape);
  const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  return checkOptions(schema, given, `workflow ${workflow}`, (message) => new ArgumentError(Object.keys(given).join(', '), JSON.stringify(given), message)) as WorkflowConfig<Options>;
}

function optionSchema(option: WorkflowOption): z.ZodType {
  let one: z.ZodType;
  if (option.choices) {
    const literals = option.choices.map((choice) => z.literal(choice));
    one = z.union(literals as unknown as [z.ZodLiteral, z.ZodLiteral], { error: `one of ${option.choices.map((choice) => JSON.stringify(choice)).join(', ')}` });
  } else if (option.type === 'number') {
    let number = z.number({ error: 'a number' });
    if (option.integer) number = number.int({ error: 'a whole number' });
    if (option.min !== undefined) number = number.min(option.min, { error: `a number of at least ${option.min}` });
    one = number;
  } else if (option.type === 'boolean') {
    one = z.boolean({ error: 'true or false' });
  } else {
    one = z.string({ error: 'a string' });
  }
  const value = option.multiple ? z.union([one, z.array(one)]) : one;
  return option.default === undefined ? value.optional() : value.default(option.default as never);
}
