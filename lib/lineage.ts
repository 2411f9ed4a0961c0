import type { JobGraph } from './job.js';
import { isFinishing, isStatefulOperatorClass, isTransactionalSink } from './operator.js';

/**
 * Whether a stage's output can be made again, split by split, by running the
 * split again (Ray's lineage reconstruction): its operator keeps no state,
 * emits nothing at the end and writes no transactional sink, and its input
 * is a source or the output of stages that can be made again too. A
 * downstream stage that lost such an output with the process that held it
 * asks for it again instead of restarting the job (docs/supervision.md).
 * This assumes, as exactly-once output does, that running a split again
 * gives the same rows.
 */
export function isReproducible(job: JobGraph, stage: string, known = new Map<string, boolean>()): boolean {
  const cached = known.get(stage);
  if (cached !== undefined) return cached;
  const operator = job.getStage(stage).operator;
  const prototype = operator.prototype as object;
  const reproducible = !isStatefulOperatorClass(operator) && !isFinishing(prototype) && !isTransactionalSink(prototype)
    && job.upstreamsOf(stage).every((upstream) => isReproducible(job, upstream, known));
  known.set(stage, reproducible);
  return reproducible;
}
