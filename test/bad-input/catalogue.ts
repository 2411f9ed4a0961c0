/** Every case of the bad input catalogue, by name: what the fixtures that run a case in another process look it up in. */
import type { BadInputCase } from './case.js';
import { configCases } from './config-cases.js';
import { operatorCases } from './operator-cases.js';
import { sourceCases } from './source-cases.js';

const byName = new Map<string, BadInputCase>([...sourceCases, ...operatorCases, ...configCases].map((badInput) => [badInput.name, badInput]));

export function caseNamed(name: string): BadInputCase {
  const badInput = byName.get(name);
  if (!badInput) throw new Error(`no bad input case is named '${name}'`);
  return badInput;
}
