/** Errors of the data plane, which moves split payloads between processes. */
import { SolsticeError, registerErrorClasses } from './base.js';

/** A frame broke the payload protocol or a limit; the peer that sent it is cut off. */
export class FrameError extends SolsticeError {
  override readonly name: string = 'FrameError';
}

/**
 * Payload `store`/`payloadId` of split `splitId` could not be fetched from the
 * payload server at `address`, which answered with an error or broke the
 * protocol (a server that is gone gives a {@link PayloadUnavailableError}).
 */
export class PayloadFetchError extends SolsticeError {
  override readonly name: string = 'PayloadFetchError';

  constructor(readonly store: string, readonly payloadId: string, readonly splitId: string, readonly address: string, cause: Error) {
    super(`Could not fetch payload ${store}/${payloadId} of split '${splitId}' from ${address}: ${cause.message}`, { cause });
  }

  override details(): Record<string, unknown> {
    return { store: this.store, payloadId: this.payloadId, splitId: this.splitId, address: this.address };
  }
}

registerErrorClasses({ FrameError, PayloadFetchError });
