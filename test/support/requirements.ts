/**
 * Tests that need something this machine may lack (Ceph's S3 gateway, root).
 * Where it is missing, each such test is registered as skipped with the reason
 * in its title, so ava's report names every test that did not run and why.
 * `.ci/run` sets SOLSTICE_REQUIRE_ALL_TESTS=1: there a missing requirement
 * fails the suite instead, so CI can never pass by skipping.
 */
import test, { type ImplementationFn } from 'ava';

type Register = (title: string, implementation: ImplementationFn<[], unknown>) => void;

/** `register` itself when nothing is `missing`; otherwise a register that skips, loudly. */
export function needing(missing: string | undefined, register: Register = test): Register {
  if (!missing) return register;
  if (process.env.SOLSTICE_REQUIRE_ALL_TESTS === '1') {
    throw new Error(`SOLSTICE_REQUIRE_ALL_TESTS is set, but these tests cannot run: ${missing}`);
  }
  process.stderr.write(`\n*** NOT RUN: ${missing} ***\n\n`);
  return (title, implementation) => test.skip(`${title} [NOT RUN: ${missing}]`, implementation);
}
