import type { SerializedError } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/logger.js';
import type { Stage } from '../../lib/stage.js';
import type { GlobalStateMasterApi } from '../../protocol/actor-apis.js';
import type { ActorLink } from '../../protocol/actor-link.js';
import type { PayloadRef } from '../../dataplane/payload-ref.js';
import type { SplitResult, UpstreamPart, WorkItem } from '../../protocol/messages.js';
import type { StageSnapshot } from '../../state/checkpoint-manifest.js';
import type { EpochLedger } from './epoch-ledger.js';
import type { WorkQueue } from './work-queue.js';

/**
 * Where a stage's splits come from: a source's planned splits
 * (`PlannedSourceInput`) or the finished splits of upstream stages
 * (`UpstreamInput`). The stage master asks its input, never which kind it is.
 */
export interface StageInput {
  /** Splits may be handed out, and epochs completed (a source has planned its splits). */
  readonly ready: boolean;
  /** No more input will come. */
  readonly ended: boolean;
  /** Splits planned, for a source; undefined while not known. */
  readonly splitsPlanned: number | undefined;
  /** Called once when the stage runs: a source plans its splits. */
  start(workers: number): Promise<void>;
  /** Asks for more input, up to `max` splits from each upstream (a source has it all queued already). */
  pull(max: number): void;
  /** Every input split of epochs up to the returned one has arrived, given that checkpoints up to `triggeredEpoch` were taken. */
  closedEpoch(triggeredEpoch: number): number;
  /** Checkpoint `checkpointId` was taken. */
  epochClosed(checkpointId: number): void;
  /** A queued split is handed to a worker now. */
  dispatching(item: WorkItem): void;
  /** Reads no new input from now on (a draining stop); what was handed out before, and is queued again, still goes. */
  hold(): void;
  /** A queued split may be handed out: not one read for the first time while the input is held. */
  mayHandOut(item: WorkItem): boolean;
  /** A worker finished a split. */
  splitDone(result: SplitResult): void;
  /** All input has been processed. */
  processed(): void;
  /** The input's part of the stage's snapshot for checkpoint `epoch`. */
  snapshot(epoch: number): Pick<StageSnapshot, 'source'>;
  /** Asks the upstream stage that made `part` to make it again (it was lost with the process that held it). */
  reproduce(part: UpstreamPart): Promise<PayloadRef>;
}

/** What a stage input is given by its stage master. */
export interface StageInputContext {
  stage: Stage;
  log: Logger;
  queue: WorkQueue;
  ledger: EpochLedger;
  /** The state master, once the stage master is connected. */
  stateMaster(): ActorLink<GlobalStateMasterApi>;
  stopping(): boolean;
  fail(error: SerializedError): void;
  abort(reason: SerializedError): void;
  /** Something changed: the stage master runs its loop. */
  pump(): void;
}
