/** Comedy's actor modes. */
export type ActorMode = 'in-memory' | 'threaded' | 'forked';

/** Where each kind of actor runs. */
export interface PlacementConfig {
  /** Mode of every stage's workers. Default 'in-memory'. */
  workers: ActorMode;
}

export const DEFAULT_PLACEMENT: PlacementConfig = { workers: 'in-memory' };
