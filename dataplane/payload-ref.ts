/**
 * What a control message carries instead of data: the id of a payload held in
 * some process's {@link PayloadStore}, and enough facts to account for it.
 */
export interface PayloadRef {
  /** Identifies the store (a process, or a thread) that holds the payload. */
  readonly store: string;
  readonly id: string;
  readonly splitId: string;
  readonly rows: number;
  /** Where that store serves its payloads to other processes (a {@link PayloadAddress}); absent if it serves none. */
  readonly address?: string;
}
