import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { PayloadTransport } from '../dataplane/payload-transfer.js';
import type { LatencyHistogram, StageMetrics } from '../protocol/messages.js';
import type { CheckpointRecord } from '../protocol/job-status.js';
import type { RunnerStatus } from './runner-options.js';

type StageLabel = 'job' | 'stage';

/** The `transport` label of each data plane transport. */
const TRANSPORT_LABELS: [PayloadTransport, string][] = [['socket', 'socket'], ['sharedMemory', 'shared_memory']];

/**
 * A job's figures in the Prometheus text format, as prom-client writes it
 * (docs/observability.md#metrics): a registry of its own (never prom-client's
 * global one), whose values are set anew from the runner's status at each
 * scrape. The actors count; this only translates what they report.
 */
export class JobMetrics {
  readonly registry = new Registry();
  private readonly stageCounters: [keyof StageCounts, Counter<StageLabel>][];
  private readonly stageGauges: [keyof StageGauges, Gauge<StageLabel>][];
  private readonly busyRatio: Gauge<StageLabel>;
  private readonly splitLatency: PresetHistogram<StageLabel>;
  private readonly dataPlaneBytes: Counter<StageLabel | 'transport'>;
  private readonly jobState: Gauge<'job' | 'state' | 'runner'>;
  private readonly restarts: Counter<'job'>;
  private readonly sourceSplits: Counter<'job'>;
  private readonly sourceRecords: Counter<'job'>;
  private readonly checkpoints: Counter<'job' | 'outcome'>;
  private readonly lastCheckpoint: [keyof LastCheckpoint, Gauge<'job'>][];
  private readonly checkpointDuration: PresetHistogram<'job'>;

  constructor() {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers });
    const stage = ['job', 'stage'] as const;
    this.stageCounters = [
      ['splitsIn', counter('solstice_stage_splits_in_total', 'Splits the stage has run', stage)],
      ['splitsOut', counter('solstice_stage_splits_out_total', 'Splits whose output the stage handed on', stage)],
      ['rowsIn', counter('solstice_stage_rows_in_total', 'Rows the stage read', stage)],
      ['rowsOut', counter('solstice_stage_rows_out_total', 'Rows the stage wrote', stage)],
      ['replaced', counter('solstice_stage_workers_replaced_total', 'Lost workers replaced while the job ran (the chain\'s first stage)', stage)],
      ['skipped', counter('solstice_stage_records_skipped_total', 'Bad records skipped (onError skip)', stage)],
      ['deadLetters', counter('solstice_stage_dead_letters_total', 'Bad records written to the dead letters (onError dead-letter)', stage)],
    ];
    this.stageGauges = [
      ['workers', gauge('solstice_stage_workers', 'Workers of the stage\'s chain', stage)],
      ['inFlight', gauge('solstice_stage_splits_in_flight', 'Splits held by the chain\'s workers now', stage)],
      ['queued', gauge('solstice_stage_queue_depth', 'Splits waiting for a worker (the chain\'s first stage)', stage)],
      ['buffered', gauge('solstice_stage_buffered_splits', 'Finished splits held for downstream stages (the chain\'s last stage)', stage)],
      ['bufferCapacity', gauge('solstice_stage_buffer_capacity', 'How many finished splits the output may hold (the chain\'s last stage)', stage)],
      ['splitsPlanned', gauge('solstice_stage_splits_planned', 'Splits planned, once known (sources)', stage)],
    ];
    this.busyRatio = gauge('solstice_stage_busy_ratio', 'Share of the chain\'s worker time spent processing splits since the stage started (the chain\'s first stage)', stage);
    this.splitLatency = new PresetHistogram('solstice_stage_split_latency_seconds', 'Time from a split handed to a worker to its result (the chain\'s first stage), this attempt');
    this.registry.registerMetric(this.splitLatency as unknown as Metric);
    this.dataPlaneBytes = counter(
      'solstice_dataplane_bytes_total',
      'Bytes of input payloads (Arrow IPC) the chain\'s workers fetched from other processes, threads or hosts, by transport (the chain\'s first stage)',
      ['job', 'stage', 'transport'] as const,
    );
    this.jobState = gauge('solstice_job_state', 'The job\'s state (1 on the current one), with the runner\'s', ['job', 'state', 'runner'] as const);
    this.restarts = counter('solstice_job_restarts_total', 'Restarts from a checkpoint after losing a worker', ['job'] as const);
    this.sourceSplits = counter('solstice_source_splits_done_total', 'Source splits read whole, this attempt', ['job'] as const);
    this.sourceRecords = counter('solstice_source_records_total', 'Records those source splits held', ['job'] as const);
    this.checkpoints = counter('solstice_checkpoints_total', 'Checkpoints that ended, by outcome (completed, failed, abandoned), this attempt', ['job', 'outcome'] as const);
    this.lastCheckpoint = [
      ['id', gauge('solstice_checkpoint_last_id', 'Id of the last completed checkpoint', ['job'] as const)],
      ['durationSeconds', gauge('solstice_checkpoint_last_duration_seconds', 'From closing its epoch to its manifest published, of the last completed checkpoint', ['job'] as const)],
      ['manifestBytes', gauge('solstice_checkpoint_last_manifest_bytes', 'Bytes of the last completed checkpoint\'s manifest', ['job'] as const)],
      ['stateBytes', gauge('solstice_checkpoint_last_state_bytes', 'Bytes of the state files the workers wrote for the last completed checkpoint', ['job'] as const)],
      ['sizeBytes', gauge('solstice_checkpoint_last_size_bytes', 'Bytes of the last completed checkpoint: its manifest and its state files', ['job'] as const)],
      ['finishedAt', gauge('solstice_checkpoint_last_completed_timestamp_seconds', 'When the last completed checkpoint was published (Unix time)', ['job'] as const)],
    ];
    this.checkpointDuration = new PresetHistogram('solstice_checkpoint_duration_seconds', 'From closing its epoch to its manifest published, of each completed checkpoint, this attempt');
    this.registry.registerMetric(this.checkpointDuration as unknown as Metric);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The figures of `status`, in the text format. */
  async text(status: RunnerStatus): Promise<string> {
    this.registry.resetMetrics();
    const job = status.jobId;
    for (const stage of status.stages) this.setStage({ job, stage: stage.stage }, stage);
    this.jobState.set({ job, state: status.state, runner: status.runner }, 1);
    this.restarts.inc({ job }, status.restarts);
    this.sourceSplits.inc({ job }, status.sources.splitsDone);
    this.sourceRecords.inc({ job }, status.sources.records);
    const checkpoints = status.checkpoints;
    if (checkpoints) {
      for (const outcome of ['completed', 'failed', 'abandoned'] as const) this.checkpoints.inc({ job, outcome }, checkpoints[outcome]);
      const last = checkpoints.recent.findLast((record) => record.outcome === 'completed');
      if (last) for (const [field, gauge] of this.lastCheckpoint) setIfKnown(gauge, { job }, lastCheckpointOf(last)[field]);
      this.checkpointDuration.set({ job }, checkpoints.durations);
    }
    return this.registry.metrics();
  }

  private setStage(labels: Record<StageLabel, string>, stage: StageMetrics): void {
    const counts: StageCounts = {
      splitsIn: stage.splitsIn, splitsOut: stage.splitsOut, rowsIn: stage.rowsIn, rowsOut: stage.rowsOut,
      replaced: stage.replacedAt?.length ?? 0, skipped: stage.recordsSkipped ?? 0, deadLetters: stage.deadLetters ?? 0,
    };
    for (const [field, counter] of this.stageCounters) counter.inc(labels, counts[field]);
    const gauges: StageGauges = {
      workers: stage.workers, inFlight: stage.inFlight, queued: stage.queued, buffered: stage.buffered, bufferCapacity: stage.bufferCapacity, splitsPlanned: stage.splitsPlanned,
    };
    for (const [field, gauge] of this.stageGauges) setIfKnown(gauge, labels, gauges[field]);
    const time = stage.workerTime;
    if (time && time.workersMs > 0) this.busyRatio.set(labels, time.busyMs / time.workersMs);
    if (stage.splitLatency) this.splitLatency.set(labels, stage.splitLatency);
    const bytes = stage.dataPlaneBytes;
    if (bytes) for (const [transport, label] of TRANSPORT_LABELS) this.dataPlaneBytes.inc({ ...labels, transport: label }, bytes[transport]);
  }
}

type StageCounts = Record<'splitsIn' | 'splitsOut' | 'rowsIn' | 'rowsOut' | 'replaced' | 'skipped' | 'deadLetters', number>;
type StageGauges = Record<'workers' | 'inFlight' | 'queued' | 'buffered' | 'bufferCapacity' | 'splitsPlanned', number | undefined>;
type LastCheckpoint = Record<'id' | 'durationSeconds' | 'manifestBytes' | 'stateBytes' | 'sizeBytes' | 'finishedAt', number | undefined>;

function lastCheckpointOf(record: CheckpointRecord): LastCheckpoint {
  const durationMs = record.durationMs ?? 0;
  const { manifestBytes, stateBytes } = record;
  return {
    id: record.id, durationSeconds: durationMs / 1000, manifestBytes, stateBytes,
    sizeBytes: manifestBytes === undefined ? undefined : manifestBytes + (stateBytes ?? 0), finishedAt: (record.startedAt + durationMs) / 1000,
  };
}

function setIfKnown<L extends string>(gauge: Gauge<L>, labels: Partial<Record<L, string>>, value: number | undefined): void {
  if (value !== undefined) gauge.set(labels, value);
}

/**
 * A histogram whose buckets are counted elsewhere (a {@link LatencyHistogram}
 * of a StageMaster or of the GlobalStateMaster, in ms) and only written out
 * here, in seconds: prom-client's Histogram can only observe values one by
 * one, so this is a metric of its own that the registry reads through the
 * `get()` every prom-client metric has.
 */
class PresetHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Record<L, string>; histogram: LatencyHistogram }>();

  constructor(readonly name: string, readonly help: string) {}

  set(labels: Record<L, string>, histogram: LatencyHistogram): void {
    this.series.set(JSON.stringify(labels), { labels, histogram });
  }

  reset(): void {
    this.series.clear();
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] }> {
    const values = [...this.series.values()].flatMap(({ labels, histogram }) => {
      let cumulative = 0;
      const buckets = histogram.bucketsMs.map((boundMs, i) => {
        cumulative += histogram.counts[i] ?? 0;
        return { labels: { ...labels, le: boundMs / 1000 }, value: cumulative, metricName: `${this.name}_bucket` };
      });
      return [
        ...buckets,
        { labels: { ...labels, le: '+Inf' }, value: histogram.count, metricName: `${this.name}_bucket` },
        { labels, value: histogram.sumMs / 1000, metricName: `${this.name}_sum` },
        { labels, value: histogram.count, metricName: `${this.name}_count` },
      ];
    });
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}
