import type { PayloadRef } from '../../dataplane/payload-ref.js';
import type { OutputPart, WorkItem } from '../../protocol/messages.js';

interface Waiter {
  resolve: (parts: OutputPart[]) => void;
  reject: (error: Error) => void;
}

/** A part of a split's output made again: every consumer may take it once. */
interface RemadePart {
  payload: PayloadRef;
  epoch: number;
  takenBy: Set<string>;
}

/**
 * What made each output of a stage whose output can be made again
 * (lib/lineage.ts): the split that was run, by the id of the output split,
 * kept until a published checkpoint covers its epoch (every consumer is
 * done with the output then). A consumer that lost an output asks for it
 * again, and the split runs again; the parts it makes are kept for the other
 * consumers and partitions that lost theirs too, until that checkpoint. Runs
 * of one split take turns: a split is in flight at most once. A job that
 * takes no checkpoints keeps the record (a few hundred bytes a split) to its
 * end.
 */
export class OutputLineage {
  private readonly items = new Map<string, WorkItem>();
  private readonly remade = new Map<string, RemadePart>();
  /** Splits running again (or about to), each with the callers waiting for their turn. */
  private readonly turns = new Map<string, (() => void)[]>();
  private readonly running = new Map<string, Waiter>();

  record(outputSplitId: string, item: WorkItem): void {
    this.items.set(outputSplitId, item);
  }

  itemFor(outputSplitId: string): WorkItem | undefined {
    return this.items.get(outputSplitId);
  }

  /** Part `partition` of split `splitId` made again, if `consumer` has not taken it yet; it has now. */
  takeRemade(splitId: string, partition: number | undefined, consumer: string): PayloadRef | undefined {
    const part = this.remade.get(partKey(splitId, partition));
    if (!part || part.takenBy.has(consumer)) return undefined;
    part.takenBy.add(consumer);
    return part.payload;
  }

  /** Checkpoint `epoch` is published: outputs of epochs up to it will not be asked for again. Returns the parts made again to free. */
  prune(epoch: number): PayloadRef[] {
    for (const [splitId, item] of this.items) if (item.split.epoch <= epoch) this.items.delete(splitId);
    const freed: PayloadRef[] = [];
    for (const [key, part] of this.remade) {
      if (part.epoch > epoch) continue;
      this.remade.delete(key);
      freed.push(part.payload);
    }
    return freed;
  }

  /** Resolves when it is the caller's turn to run split `splitId` again; the caller then {@link release}s it, whatever happens. */
  async acquire(splitId: string): Promise<void> {
    const queue = this.turns.get(splitId);
    if (!queue) {
      this.turns.set(splitId, []);
      return;
    }
    await new Promise<void>((resolve) => queue.push(resolve));
  }

  release(splitId: string): void {
    const next = this.turns.get(splitId)?.shift();
    if (next) next();
    else this.turns.delete(splitId);
  }

  /** The output of the run of split `splitId` just handed out, once {@link ran} or {@link failed} reports it. */
  result(splitId: string): Promise<OutputPart[]> {
    return new Promise((resolve, reject) => this.running.set(splitId, { resolve, reject }));
  }

  /** Split `splitId` of epoch `epoch` ran again: its parts are kept for the consumers that ask. Returns the parts of an earlier run they replace, to free. */
  ran(splitId: string, epoch: number, parts: OutputPart[]): PayloadRef[] {
    const replaced: PayloadRef[] = [];
    for (const part of parts) {
      const key = partKey(splitId, part.partition);
      const earlier = this.remade.get(key);
      if (earlier) replaced.push(earlier.payload);
      this.remade.set(key, { payload: part.payload, epoch, takenBy: new Set() });
    }
    this.settle(splitId)?.resolve(parts);
    return replaced;
  }

  failed(splitId: string, error: Error): void {
    this.settle(splitId)?.reject(error);
  }

  /** The stage stops: every run in progress fails with `error`; returns the parts made again to free. */
  stop(error: Error): PayloadRef[] {
    for (const splitId of [...this.running.keys()]) this.failed(splitId, error);
    const freed = [...this.remade.values()].map((part) => part.payload);
    this.remade.clear();
    return freed;
  }

  private settle(splitId: string): Waiter | undefined {
    const waiter = this.running.get(splitId);
    this.running.delete(splitId);
    return waiter;
  }
}

function partKey(splitId: string, partition: number | undefined): string {
  return partition === undefined ? splitId : `${splitId}#${partition}`;
}
