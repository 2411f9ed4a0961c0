export { Job } from '../runtime/job.js';
export { JobGraph, type JobOptions, type DeadLetterOptions, type DeadLetterFormat, DEFAULT_RETAINED_CHECKPOINTS, DEFAULT_RETAINED_RUNS, DEFAULT_CHECKPOINT_INTERVAL_SECS } from './job.js';
export { Stage, type StageOptions, type ErrorPolicy } from './stage.js';
export type { Parallelism } from './parallelism.js';
export { Operator, SourceOperator, SinkOperator, refuseBadRecord, type OperatorContext, type BadRecord, type OperatorClass, type KeyedOutput } from './operator.js';
export { Split, type DataRange, type SplitJSON } from './split.js';
export { SplitPayload } from './split-payload.js';
export type { Row } from './arrow-rows.js';
export { readClusterConfig } from '../cluster/cluster-config.js';
export type { ClusterConfig, ClusterHost, PlacementConfig, WorkerMode, MasterPlacement } from './placement-config.js';
export { HostAgent, type HostAgentOptions } from '../comedy-adapter/index.js';
export { JobRunner } from '../runtime/runner.js';
export { listJobs, getJob, type RunningJob, type JobControl } from '../runtime/running-jobs.js';
export type {
  RunnerEventMap, RunnerEvent, RunnerEventName, ScaleEvent, WorkerReplacedEvent, DeadLetterEvent, DoneEvent,
} from '../runtime/runner-events.js';
export type { RunnerOptions, RunOptions, StopOptions, JobSummary, StageSummary, RunnerState, RunnerStatus, AttemptFailure, StageNode, Dashboard, DashboardOptions } from '../runtime/runner-options.js';
export type { JobRun, RestoreRequest } from './job-spec.js';
export type { StatefulOperator, TransactionalSink, CommittingTogetherSink, FinishingOperator, KeyGroupedState } from './operator.js';
export type { CheckpointManifest } from '../state/checkpoint-manifest.js';
export {
  SolsticeError, registerErrorClasses,
  JobDefinitionError, WorkflowNotFoundError, WorkflowModuleRequiredError, StageNotFoundError, OperatorConfigError, PlacementError,
  InputNotFoundError, InputFormatError, SchemaInferenceError, ColumnValueError,
  OperatorError, RowFunctionError, SplitTimeoutError, JobStoppedError,
  CheckpointError, RestoreRefusedError, KeyGroupsChangedError, CheckpointTooOldError, CheckpointNotFoundError, CheckpointStateMissingError, CheckpointCorruptError,
  StateLocationError, StateKeyError, StateBackendError,
  FrameError, PayloadFetchError,
  ActorExitedError, WorkerLostError, MasterLostError, PayloadUnavailableError, OutputLostError, SupervisionError, type ActorExit,
  ClusterConfigError, ClusterSecretError, HandshakeError, HostUnavailableError, ClusterCapacityError, HostAgentRefusedError,
  ActorCreationError, HostAgentListenError,
  ArgumentError, RunnerStateError,
  TableError, TableNotFoundError, TableCommitError, TableSchemaError, OutputConflictError,
} from './errors/index.js';
export { resolveWorkflowPath, builtInWorkflows, type WorkflowModule } from './workflow-loader.js';
export { createJobFromWorkflow } from '../runtime/workflow-job.js';
export { checkWorkflowConfig, type WorkflowConfig, type WorkflowOption, type WorkflowOptions } from './workflow-options.js';
export type { LogFormat, LogLevel, Logger } from './logger.js';
export type { StageMetrics, LatencyHistogram, LostWorkerRecord, ScalingRecord, WorkerPlace } from '../protocol/messages.js';
export type { JobStatus, JobState, CheckpointRecord, CheckpointOutcome, CheckpointHistoryReport } from '../protocol/job-status.js';
export { MapOperator, type MapConfig } from '../operators/transform/map-operator.js';
export { FilterOperator, type FilterConfig } from '../operators/transform/filter-operator.js';
export { WithColumnsOperator, type WithColumnsConfig } from '../operators/transform/with-columns-operator.js';
export { FlatMapOperator, type FlatMapConfig } from '../operators/transform/flat-map-operator.js';
export { KeyByOperator, type KeyByConfig, type Key } from '../operators/transform/key-by-operator.js';
export { AggregateOperator, type AggregateConfig, type Aggregation } from '../operators/transform/aggregate-operator.js';
export { FileSource, type FileSourceConfig } from '../operators/source/file-source.js';
export { LanceTableSource, type LanceTableSourceConfig, type LanceRange } from '../operators/source/lance-table-source.js';
export { FileSink, type FileSinkConfig, type FileSinkFormat } from '../operators/sink/file-sink.js';
export { PrintSink, type PrintSinkConfig } from '../operators/sink/print-sink.js';
export { LanceSink, type LanceSinkConfig, type LanceSinkTransaction } from '../operators/sink/lance-sink.js';
export type { LanceWriteMode } from '../operators/lance/lance-write-mode.js';
export type { StorageOptions } from '../operators/lance/lance-location.js';
export type { FileFormat, FileFormatName, CsvOptions, CsvColumnType, ParquetWriteOptions } from '../formats/index.js';
