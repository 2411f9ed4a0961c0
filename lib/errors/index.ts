/**
 * Every error class of Solstice-node, one module per family, all extending
 * {@link SolsticeError}. Importing this module registers every class for
 * {@link deserializeError}.
 */
export { SolsticeError, registerErrorClasses, type ErrorClass } from './base.js';
export { serializeError, deserializeError, type SerializedError } from './serialization.js';
export {
  JobDefinitionError, WorkflowNotFoundError, WorkflowModuleRequiredError, StageNotFoundError, OperatorConfigError, PlacementError,
} from './job-definition.js';
export { InputNotFoundError, InputFormatError, RECORD_TEXT_LIMIT, SchemaInferenceError } from './input.js';
export { OperatorError, RowFunctionError, JobStoppedError } from './execution.js';
export { CheckpointError, RestoreRefusedError, CheckpointTooOldError, CheckpointNotFoundError, CheckpointStateMissingError } from './checkpoint.js';
export { StateLocationError, StateKeyError, StateBackendError } from './state.js';
export { FrameError, PayloadFetchError } from './dataplane.js';
export {
  ActorExitedError, WorkerLostError, MasterLostError, PayloadUnavailableError, SupervisionError, describeExit, type ActorExit,
} from './supervision.js';
export {
  ClusterConfigError, ClusterSecretError, HandshakeError, HostUnavailableError, ClusterCapacityError, HostAgentRefusedError,
  ActorCreationError, HostAgentListenError,
} from './cluster.js';
export { ArgumentError, RunnerStateError } from './usage.js';
