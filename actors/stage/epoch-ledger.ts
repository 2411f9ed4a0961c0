/** Splits a stage still has to finish (queued or in flight), counted by epoch. */
export class EpochLedger {
  private readonly pending = new Map<number, number>();
  /** The latest epoch of any split the stage has had, finished or not. */
  latest = Number.NEGATIVE_INFINITY;

  add(epoch: number): void {
    this.pending.set(epoch, (this.pending.get(epoch) ?? 0) + 1);
    this.latest = Math.max(this.latest, epoch);
  }

  done(epoch: number): void {
    const left = (this.pending.get(epoch) ?? 0) - 1;
    if (left < 0) throw new Error(`Epoch ${epoch} has no pending split to finish`);
    if (left === 0) this.pending.delete(epoch);
    else this.pending.set(epoch, left);
  }

  /** True while some split of an epoch up to `epoch` is not finished. */
  hasPendingUpTo(epoch: number): boolean {
    for (const e of this.pending.keys()) if (e <= epoch) return true;
    return false;
  }

  get size(): number {
    let total = 0;
    for (const count of this.pending.values()) total += count;
    return total;
  }
}
