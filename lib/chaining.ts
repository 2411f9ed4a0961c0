import { StageNotFoundError } from './errors/index.js';
import type { JobGraph } from './job.js';
import { hasKeyedOutputClass } from './operator.js';
import type { ParallelismBounds } from './parallelism.js';
import { masterPlacementOf, workerModeOf, type PlacementConfig } from './placement-config.js';

/**
 * Consecutive stages fused into one chain: each worker of the chain runs
 * every stage's operator in turn on a split, handing the payload from one to
 * the next by reference, and one StageMaster hands out the chain's splits.
 * Each stage keeps its name, split ids, metrics and checkpoint state.
 */
export interface StageChain {
  /** The stages, upstream first. A stage that fuses with nothing is a chain of one. */
  readonly stages: readonly string[];
  /** The chain's key: its first stage. Masters and their links are named by it. */
  readonly head: string;
  readonly tail: string;
  /** What the stages' parallelism bounds have in common. */
  readonly bounds: ParallelismBounds;
}

/** The chain's display name, "parse+total+filter". */
export function chainName(chain: Pick<StageChain, 'stages'>): string {
  return chain.stages.join('+');
}

/**
 * Why stage `upstream` and its only downstream `downstream` do not fuse, or
 * undefined if they do. As in Flink's chaining, they fuse when the edge is one
 * to one (the upstream feeds only the downstream, the downstream reads only
 * the upstream, and the upstream's output is not shuffled by key), they
 * have the same parallelism (fixed, or the same `[min, max]`: a chain scales
 * as one), and they run alike: same worker and master
 * placement, same supervision policy, fusion allowed by the job and both
 * stages.
 */
function whyNotFused(job: JobGraph, placement: PlacementConfig, upstream: string, downstream: string, bounds: ParallelismBounds): string | undefined {
  if (job.options.chain === false) return 'the job sets chain: false';
  const up = job.getStage(upstream);
  const down = job.getStage(downstream);
  if (up.options.chain === false || down.options.chain === false) return 'a stage sets chain: false';
  if (job.downstreamsOf(upstream).length !== 1 || job.upstreamsOf(downstream).length !== 1) return 'fan-out or fan-in';
  if (hasKeyedOutputClass(up.operator)) return 'keyed shuffle';
  if (bounds.min !== down.bounds.min || bounds.max !== down.bounds.max) return 'parallelism';
  if (workerModeOf(placement, upstream) !== workerModeOf(placement, downstream)) return 'worker placement';
  if (JSON.stringify(masterPlacementOf(placement, 'StageMaster', upstream)) !== JSON.stringify(masterPlacementOf(placement, 'StageMaster', downstream))) {
    return 'master placement';
  }
  if (JSON.stringify(job.supervisionOf(upstream)) !== JSON.stringify(job.supervisionOf(downstream))) return 'supervision policy';
  return undefined;
}

/** The job's stages grouped into chains, in stage order (every chain after the chains it reads). */
export function planChains(job: JobGraph, placement: PlacementConfig): StageChain[] {
  const chains: StageChain[] = [];
  const placed = new Set<string>();
  for (const head of job.stageNames) {
    if (placed.has(head)) continue;
    const stages = [head];
    for (;;) {
      const last = stages[stages.length - 1]!;
      const downstreams = job.downstreamsOf(last);
      if (downstreams.length !== 1 || whyNotFused(job, placement, last, downstreams[0]!, chainBounds(job, stages)) !== undefined) break;
      stages.push(downstreams[0]!);
    }
    for (const stage of stages) placed.add(stage);
    chains.push({ stages, head, tail: stages[stages.length - 1]!, bounds: chainBounds(job, stages) });
  }
  return chains;
}

/** The chain that runs `stage`. */
export function chainOf(chains: readonly StageChain[], stage: string): StageChain {
  const chain = chains.find((candidate) => candidate.stages.includes(stage));
  if (!chain) throw new StageNotFoundError(stage, chains.flatMap((candidate) => candidate.stages));
  return chain;
}

/** The bounds all of `stages` allow: the chain's parallelism. */
export function chainBounds(job: JobGraph, stages: readonly string[]): ParallelismBounds {
  return stages.map((stage) => job.getStage(stage).bounds).reduce((a, b) => ({ min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) }));
}

/** How many partitions a stage's keyed output is split into: the largest `parallelism` max of the stages it feeds (Flink's key groups). */
export function outputPartitionsOf(job: JobGraph, stage: string): number {
  return Math.max(1, ...job.downstreamsOf(stage).map((name) => job.getStage(name).bounds.max));
}

/** The key groups of a stage's input: the partitions of its keyed upstream, if it has one. */
export function keyGroupsOf(job: JobGraph, stage: string): number | undefined {
  const keyed = job.upstreamsOf(stage).find((upstream) => hasKeyedOutputClass(job.getStage(upstream).operator));
  return keyed === undefined ? undefined : outputPartitionsOf(job, keyed);
}

/** The backpressure bound of a chain's output: its last stage's, else the job's, else its worker count (now) + 1, at least 2. */
export function chainBufferBound(job: JobGraph, stages: readonly string[], workers = chainBounds(job, stages).min): number {
  return job.maxBufferedSplitsOf(stages[stages.length - 1]!, workers);
}

/**
 * The plan as text, one chain per line with its parallelism and where its
 * workers run, and why it does not fuse with the stage that reads it:
 * what `solstice-node run --explain` prints.
 */
export function explainChains(job: JobGraph, placement: PlacementConfig): string {
  const chains = planChains(job, placement);
  const lines: string[] = [];
  for (const chain of chains) {
    const { min, max } = chain.bounds;
    const parallelism = min === max ? `${min}` : `${min}-${max}`;
    lines.push(`${chainName(chain)}: ${chain.stages.length > 1 ? 'fused, ' : ''}parallelism ${parallelism}, workers ${workerModeOf(placement, chain.head)}`);
    const downstreams = job.downstreamsOf(chain.tail);
    for (const downstream of downstreams) {
      const why = downstreams.length === 1 ? whyNotFused(job, placement, chain.tail, downstream, chain.bounds) : undefined;
      lines.push(`  -> ${downstream} (not fused: ${why ?? 'fan-out or fan-in'})`);
    }
  }
  return lines.join('\n');
}
