/**
 * Every error family. Importing this module registers every class for
 * deserializeError (each family registers its own), which is why
 * serialization.ts imports it.
 */
export {
  JobDefinitionError, WorkflowNotFoundError, WorkflowModuleRequiredError, StageNotFoundError, OperatorConfigError, PlacementError,
} from './job-definition.js';
export { InputNotFoundError, InputFormatError, RECORD_TEXT_LIMIT, SchemaInferenceError, ColumnValueError } from './input.js';
export { OperatorError, RowFunctionError, SplitTimeoutError, JobStoppedError } from './execution.js';
export {
  CheckpointError, RestoreRefusedError, KeyGroupsChangedError, CheckpointTooOldError, CheckpointNotFoundError, CheckpointStateMissingError, CheckpointCorruptError,
} from './checkpoint.js';
export { StateLocationError, StateKeyError, StateBackendError } from './state.js';
export { FrameError, PayloadFetchError } from './dataplane.js';
export {
  ActorExitedError, WorkerLostError, MasterLostError, PayloadUnavailableError, OutputLostError, SupervisionError, describeExit, type ActorExit,
} from './supervision.js';
export {
  ClusterConfigError, ClusterSecretError, HandshakeError, HostUnavailableError, ClusterCapacityError, HostAgentRefusedError,
  ActorCreationError, HostAgentListenError,
} from './cluster.js';
export { ArgumentError, RunnerStateError } from './usage.js';
export { TableError, TableNotFoundError, TableCommitError, TableSchemaError } from './table.js';
export { OutputConflictError } from './output.js';
