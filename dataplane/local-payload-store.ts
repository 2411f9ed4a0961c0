import { randomUUID } from 'node:crypto';
import { SolsticeError } from '../lib/errors/index.js';
import type { SplitPayload } from '../lib/split-payload.js';
import { agentHost } from '../cluster/actor-process-env.js';
import { requireClusterSecret } from '../cluster/shared-secret.js';
import { PayloadClient, type PayloadClientStats } from './payload-client.js';
import type { PayloadRef } from './payload-ref.js';
import type { FetchedPayload } from './payload-transfer.js';
import { PayloadServer } from './payload-server.js';
import type { PayloadStore } from './payload-store.js';
import { defaultSharedMemoryLimit, SharedMemoryPool } from './shared-memory-pool.js';
import { sharedMemoryUnavailable } from './shared-memory.js';

export interface LocalPayloadStoreOptions {
  /**
   * Shared memory this process may lend payloads out of to readers on the
   * same host, in bytes (0: none). Default: the SOLSTICE_SHARED_MEMORY_MIB
   * environment variable, else an eighth of /dev/shm up to 1 GiB.
   */
  sharedMemoryBytes?: number;
}

interface Entry {
  payload: SplitPayload;
  readersLeft: number;
}

/**
 * The payload store of one process (or worker thread). Actors that share it
 * hand payloads over by reference, with no copy and no serialization. Once
 * `serve()` has been called, other processes fetch its payloads through its
 * {@link PayloadServer}, and it fetches theirs with a {@link PayloadClient}.
 * Its server runs while any of those that called `serve()` still serves.
 */
export class LocalPayloadStore implements PayloadStore {
  readonly storeId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly entries = new Map<string, Entry>();
  private nextId = 0;
  private server: Promise<PayloadServer> | undefined;
  /** Callers of {@link serve} that have not called {@link stopServing}. */
  private serving = 0;
  private address: string | undefined;
  private readonly client = new PayloadClient();
  private readonly sharedMemoryBytes: number | undefined;
  private sharedMemory: SharedMemoryPool | undefined;

  constructor(options: LocalPayloadStoreOptions = {}) {
    this.sharedMemoryBytes = options.sharedMemoryBytes;
  }

  /** Starts serving this store's payloads to other processes; refs made from now on carry the server's address. */
  async serve(): Promise<void> {
    this.serving++;
    const served = {
      takeLocal: (id: string) => this.takeLocal(id),
      readLocal: (id: string) => this.readLocal(id),
      doneLocal: (id: string) => this.doneLocal(id),
      discardLocal: (id: string) => this.discardLocal(id),
    };
    try {
      // An actor process of a host agent serves other hosts, on TCP at the agent's address.
      const host = agentHost();
      if (host) {
        this.server ??= PayloadServer.listenTcp(host, served, requireClusterSecret('the payload server'));
      } else {
        const limit = sharedMemoryUnavailable() === undefined ? this.sharedMemoryBytes ?? defaultSharedMemoryLimit() : 0;
        if (limit > 0) this.sharedMemory ??= new SharedMemoryPool(limit);
        this.server ??= PayloadServer.listenLocal(served, this.sharedMemory);
      }
      this.address = (await this.server).address;
    } catch (error) {
      await this.stopServing();
      throw error;
    }
  }

  /**
   * One caller of {@link serve} (a worker that ends) serves no longer. The
   * last one closes the server, and the shared memory it lent from, unless
   * payloads still await readers (then the next last one does): a process
   * that runs job after job holds no socket between them. The next `serve()`
   * starts another server.
   */
  async stopServing(): Promise<void> {
    this.serving--;
    if (this.serving > 0 || this.entries.size > 0 || !this.server) return;
    const server = this.server;
    this.server = undefined;
    this.address = undefined;
    this.sharedMemory?.close();
    this.sharedMemory = undefined;
    await server.then((listening) => listening.close(), () => undefined);
  }

  put(payload: SplitPayload, readers: number): PayloadRef {
    const id = String(this.nextId++);
    if (readers > 0) this.entries.set(id, { payload, readersLeft: readers });
    const ref: PayloadRef = { store: this.storeId, id, splitId: payload.splitId, rows: payload.numRows };
    return this.address ? { ...ref, address: this.address } : ref;
  }

  /** Fetches from other processes that answer nothing for `ms` fail (see {@link PayloadClient.answerWithin}). */
  answerWithin(ms: number): void {
    this.client.answerWithin(ms);
  }

  async take(ref: PayloadRef): Promise<SplitPayload> {
    if (ref.store === this.storeId) return this.takeLocal(ref.id, ref.splitId);
    return this.client.take(ref);
  }

  async read(ref: PayloadRef): Promise<SplitPayload> {
    return (await this.readWithTransfer(ref)).payload;
  }

  /** Reads like {@link read}, and says what crossed from another process for it: nothing for a payload of this store. */
  async readWithTransfer(ref: PayloadRef): Promise<FetchedPayload> {
    if (ref.store === this.storeId) return { payload: this.readLocal(ref.id, ref.splitId) };
    return this.client.readWithTransfer(ref);
  }

  done(ref: PayloadRef): void {
    if (ref.store === this.storeId) this.doneLocal(ref.id);
    else if (ref.address) this.client.done(ref);
  }

  discard(ref: PayloadRef): void {
    if (ref.store === this.storeId) this.discardLocal(ref.id);
    else if (ref.address) this.client.discard(ref);
  }

  get size(): number {
    return this.entries.size;
  }

  /** How the payloads this process fetched from others arrived. */
  transfers(): PayloadClientStats {
    return this.client.stats();
  }

  /** The shared memory this store lends payloads out of, if it serves with any. */
  get sharedMemoryPool(): SharedMemoryPool | undefined {
    return this.sharedMemory;
  }

  private takeLocal(id: string, splitId?: string): SplitPayload {
    const payload = this.readLocal(id, splitId);
    this.doneLocal(id);
    return payload;
  }

  private readLocal(id: string, splitId?: string): SplitPayload {
    const entry = this.entries.get(id);
    // A ref names a payload of this store that still awaits readers: a bug if reached (a remote reader gets it as a PayloadFetchError).
    if (!entry) throw new SolsticeError(`Payload ${this.storeId}/${id}${splitId ? ` of split '${splitId}'` : ''} is not held by this process`);
    return entry.payload;
  }

  private doneLocal(id: string): void {
    const entry = this.entries.get(id);
    if (entry && --entry.readersLeft === 0) this.entries.delete(id);
  }

  private discardLocal(id: string): void {
    this.entries.delete(id);
  }
}

let processStore: LocalPayloadStore | undefined;

/** The payload store of this process (or worker thread), shared by every actor that runs in it. */
export function processPayloadStore(): LocalPayloadStore {
  processStore ??= new LocalPayloadStore();
  return processStore;
}
