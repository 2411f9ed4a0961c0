import { processPayloadStore } from '../../dataplane/local-payload-store.js';
import type { PayloadRef } from '../../dataplane/payload-ref.js';
import type { SerializedError } from '../../lib/errors/index.js';
import { splitIdOf } from '../../lib/split.js';
import type { UpstreamPart, WorkItem } from '../../protocol/messages.js';

/** A split whose input is lost this many times fails its stage: making the input again does not help. */
const MAX_INPUT_LOSSES = 3;

/** What the part is given by its stage master. */
export interface InputsMadeAgainContext {
  /** Asks the upstream stage that made `part` to make it again. */
  reproduce(part: UpstreamPart): Promise<PayloadRef>;
  /** Whether the stage that made `part` can make it again (lib/lineage.ts). */
  reproducible(part: UpstreamPart): boolean;
  stopping(): boolean;
  pump(): void;
}

/**
 * The splits of a stage waiting for an upstream stage to make their input
 * again: a consumer's input lost with the process that held it, or the
 * input of a split a stateful worker's replacement runs again. Such a split
 * is neither queued nor in flight meanwhile, but still pending: the stage
 * is not done, and no checkpoint passes it.
 */
export class InputsMadeAgain {
  private readonly waiting = new Set<string>();
  private readonly losses = new Map<string, number>();

  constructor(private readonly context: InputsMadeAgainContext) {}

  get size(): number {
    return this.waiting.size;
  }

  splitIds(): string[] {
    return [...this.waiting];
  }

  /**
   * Whether the lost input of `item` (`error` says how it was lost) can be
   * made again: its holder is gone (PayloadUnavailableError) or no longer
   * has it (PayloadFetchError), its stage can make it, and this split has
   * not lost it too often.
   */
  canMakeAgain(item: WorkItem, error: SerializedError): boolean {
    const splitId = splitIdOf(item.split);
    const losses = (this.losses.get(splitId) ?? 0) + 1;
    this.losses.set(splitId, losses);
    const lostPayload = error.name === 'PayloadUnavailableError' || error.name === 'PayloadFetchError';
    return item.from !== undefined && !this.context.stopping() && losses <= MAX_INPUT_LOSSES && lostPayload && this.context.reproducible(item.from);
  }

  /** Has the input of `item` made again, then `queue`s the item with it; `failed` if its stage cannot. */
  makeAgain(item: WorkItem & { from: UpstreamPart }, queue: (item: WorkItem) => void, failed: (reason: unknown) => void): void {
    const splitId = splitIdOf(item.split);
    this.waiting.add(splitId);
    this.context.reproduce(item.from).then(
      (input) => {
        this.waiting.delete(splitId);
        if (this.context.stopping()) processPayloadStore().discard(input);
        else queue({ ...item, input });
        this.context.pump();
      },
      (reason: unknown) => {
        this.waiting.delete(splitId);
        failed(reason);
        this.context.pump();
      },
    );
  }
}
