/** Comedy's actor modes. */
export type ActorMode = 'in-memory' | 'threaded' | 'forked';

/**
 * Where each kind of actor runs. Every actor runs in-memory until the data
 * plane carries payloads between processes; the modes are configuration, so
 * workflow code does not change when they do.
 */
export interface PlacementConfig {
  /** Mode of every stage's workers. */
  workers: ActorMode;
}

export const DEFAULT_PLACEMENT: PlacementConfig = { workers: 'in-memory' };
