import { chainName, outputPartitionsOf } from '../../lib/chaining.js';
import type { JobGraph } from '../../lib/job.js';
import type { ActorContext, MetaServiceApi, WorkerApi } from '../../protocol/actor-apis.js';
import type { ChildActor } from '../../protocol/actor-link.js';
import type { KeyGroupSpread, StageMasterParams, WorkerParams } from '../../protocol/messages.js';
import type { WorkerSnapshot } from '../../state/checkpoint-manifest.js';
import { workerModeOf, type WorkerHost } from '../../lib/placement-config.js';
import { crossesProcesses } from '../placement.js';
import { restoreLayout } from './restore-layout.js';

/** How a worker starts: as one of the stage's first, as the replacement of a lost one, or added while the stage runs. */
export interface WorkerStart {
  /** It replaces a lost worker at its index (WorkerParams.replacement). */
  replacement?: boolean;
  /** An elastic stage grows: it restores nothing of the checkpoint the job resumed from. */
  added?: boolean;
  /** What it restores instead of that checkpoint's snapshot of its index: a stateful replacement's last published state. */
  restore?: Record<string, WorkerSnapshot>;
  /** Key-grouped state it takes (a worker added to a stateful stage at a checkpoint). */
  regroupState?: Record<string, KeyGroupSpread>;
  /** The host it runs on, for a worker added on a cluster (the slot the job granted). */
  host?: WorkerHost;
}

/** Creates a stage's workers ({@link workerCreator}), and knows the host each runs on, on a cluster. */
export interface WorkerCreator {
  (workerIndex: number, start?: WorkerStart): Promise<ChildActor<WorkerApi>>;
  hostOf(workerIndex: number): WorkerHost | undefined;
}

/**
 * How a stage master creates its workers: in the stage's placement mode (on
 * the host placed for each index on a cluster), each with what it restores
 * from the checkpoint the job resumes from (spread over the workers it
 * starts with now, if the checkpoint had another number: restoreLayout).
 */
export function workerCreator(
  context: ActorContext<StageMasterParams, MetaServiceApi>, job: JobGraph, parallelism: number,
): WorkerCreator {
  const { params } = context;
  const { chain } = params;
  const downstreams = job.downstreamsOf(chain[chain.length - 1]!);
  const outputPartitions = outputPartitionsOf(job, chain[chain.length - 1]!);
  const mode = workerModeOf(params.placement, chain[0]!);
  const servePayloads = crossesProcesses(params.placement, job.stageNames);
  const extras = restoreLayout(job, chain, params.restore, parallelism);
  const hosts = new Map<number, WorkerHost>(params.workerHosts?.map((host, index) => [index, host]) ?? []);
  const create = (workerIndex: number, start: WorkerStart = {}) => {
    const resumed = Object.fromEntries(chain.flatMap((stage) => {
      const snapshot = params.restore?.[stage]?.workers[workerIndex];
      return snapshot ? [[stage, snapshot]] : [];
    }));
    // A worker added while the stage runs restores nothing of the checkpoint the job resumed from.
    const restore = start.restore ?? (start.added ? {} : resumed);
    const first = !start.replacement && !start.added;
    const workerParams: WorkerParams = {
      spec: params.spec, chain, workerIndex, parallelism, consumers: downstreams.length, outputPartitions, restore, servePayloads,
      ...(start.replacement ? { replacement: true } : {}),
      ...(first ? extras[workerIndex] ?? {} : {}),
      ...(start.regroupState ? { regroupState: start.regroupState } : {}),
    };
    // A replacement runs where the worker it replaces ran.
    if (start.host) hosts.set(workerIndex, start.host);
    return context.createChild('Worker', { mode, name: `Worker-${chainName({ stages: chain })}-${workerIndex}`, params: workerParams, ...hosts.get(workerIndex) });
  };
  return Object.assign(create, { hostOf: (workerIndex: number) => hosts.get(workerIndex) });
}
