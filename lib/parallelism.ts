import { JobDefinitionError } from './errors/index.js';

/** A fixed worker count, or `[min, max]` bounds for an autoscaled stage. */
export type Parallelism = number | readonly [min: number, max: number];

export interface ParallelismBounds {
  readonly min: number;
  readonly max: number;
}

export function parallelismBounds(stage: string, parallelism: Parallelism): ParallelismBounds {
  const [min, max] = typeof parallelism === 'number' ? [parallelism, parallelism] : parallelism;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw new JobDefinitionError(
      `Stage '${stage}': parallelism must be a positive integer or [min, max] with 1 <= min <= max, got ${JSON.stringify(parallelism)}`,
    );
  }
  return { min, max };
}
