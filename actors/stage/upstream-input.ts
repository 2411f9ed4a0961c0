import { JobStoppedError, serializeError } from '../../lib/errors/index.js';
import { Split } from '../../lib/split.js';
import { processPayloadStore } from '../../dataplane/local-payload-store.js';
import type { StageMasterApi } from '../../protocol/actor-apis.js';
import type { ActorLink } from '../../protocol/actor-link.js';
import type { PayloadRef } from '../../dataplane/payload-ref.js';
import type { OutputEntry, PullReply, UpstreamPart, WorkItem } from '../../protocol/messages.js';
import type { StageInput, StageInputContext } from './stage-input.js';

const EVERY_EPOCH = Number.POSITIVE_INFINITY;

interface UpstreamLink {
  stage: string;
  link: ActorLink<StageMasterApi>;
  pulling: boolean;
  done: boolean;
  /** Every entry of epochs up to this one has arrived from this upstream. */
  closedEpoch: number;
}

/**
 * The input of a stage that reads upstream stages: it pulls their finished
 * splits (one pull at a time per upstream, see docs/architecture.md#the-pull-protocol),
 * turns each part into a split of this stage, and tracks each upstream's
 * checkpoint barrier (`closedEpoch`).
 */
export class UpstreamInput implements StageInput {
  private readonly upstreams: UpstreamLink[];
  readonly splitsPlanned = undefined;

  constructor(private readonly context: StageInputContext, upstreams: { stage: string; link: ActorLink<StageMasterApi> }[], closedEpoch: number) {
    this.upstreams = upstreams.map(({ stage, link }) => ({ stage, link, pulling: false, done: false, closedEpoch }));
  }

  readonly ready = true;

  get ended(): boolean {
    return this.upstreams.every((upstream) => upstream.done);
  }

  async start(): Promise<void> {}

  pull(max: number): void {
    for (const upstream of this.upstreams) {
      if (upstream.done || upstream.pulling) continue;
      upstream.pulling = true;
      upstream.link.ask('pull', this.context.stage.name, max).then(
        (reply) => this.received(upstream, reply),
        (error: unknown) => {
          upstream.pulling = false;
          this.context.fail(serializeError(error));
          this.context.pump();
        },
      );
    }
  }

  private received(upstream: UpstreamLink, reply: PullReply): void {
    upstream.pulling = false;
    upstream.done = reply.done;
    upstream.closedEpoch = Math.max(upstream.closedEpoch, reply.closedEpoch);
    for (const entry of reply.entries) this.enqueue(upstream, entry);
    if (reply.upstreamStopped) this.context.abort(serializeError(new JobStoppedError(`upstream stage '${upstream.stage}' stopped`)));
    this.context.pump();
  }

  private enqueue(upstream: UpstreamLink, entry: OutputEntry): void {
    const upstreamSplit = Split.fromJSON(entry.split);
    for (const part of entry.parts) {
      const item: WorkItem = {
        split: upstreamSplit.deriveFor(this.context.stage.name, part.partition).toJSON(),
        input: part.payload,
        from: { master: upstream.stage, stage: upstreamSplit.stage, splitId: upstreamSplit.splitId, ...(part.partition === undefined ? {} : { partition: part.partition }) },
      };
      if (this.context.stopping()) {
        processPayloadStore().discard(part.payload);
        continue;
      }
      this.context.ledger.add(item.split.epoch);
      this.context.queue.push(item);
    }
  }

  closedEpoch(triggeredEpoch: number): number {
    return Math.min(triggeredEpoch, ...this.upstreams.map((upstream) => (upstream.done ? EVERY_EPOCH : upstream.closedEpoch)));
  }

  epochClosed(): void {}

  dispatching(): void {}

  /** A draining stop holds the sources: what they read before it still comes, and goes out. */
  hold(): void {}

  mayHandOut(): boolean {
    return true;
  }

  splitDone(): void {}

  processed(): void {}

  snapshot(): Record<string, never> {
    return {};
  }

  reproduce(part: UpstreamPart): Promise<PayloadRef> {
    const upstream = this.upstreams.find((candidate) => candidate.stage === part.master);
    if (!upstream) return Promise.reject(new Error(`'${part.master}' is not an upstream stage of '${this.context.stage.name}'`));
    return upstream.link.ask('reproduce', this.context.stage.name, part.splitId, part.partition);
  }
}
