import { unknownKeys } from '../lib/option-check.js';
import { PlacementError } from '../lib/errors/index.js';
import {
  MASTER_MODES, WORKER_MODES, clusterHostNamed, masterPlacementOf, workerModeOf, type MasterPlacement, type PlacementConfig,
} from '../lib/placement-config.js';

/**
 * Whether any actor of the job runs outside the job's process: then actors
 * are built from the workflow module in other processes or threads, and
 * workers serve their payloads to readers elsewhere.
 */
export function crossesProcesses(placement: PlacementConfig, stages: readonly string[]): boolean {
  return outOfProcessMasters(placement, stages).length > 0 || stages.some((stage) => workerModeOf(placement, stage) !== 'in-process');
}

/** Every master of a job with its place, by name ("StageMaster of 'parse'"). */
function mastersOf(placement: PlacementConfig, stages: readonly string[]): [string, MasterPlacement][] {
  return [
    ['MetaService', masterPlacementOf(placement, 'MetaService')],
    ['GlobalStateMaster', masterPlacementOf(placement, 'GlobalStateMaster')],
    ...stages.map((stage): [string, MasterPlacement] => [`StageMaster of '${stage}'`, masterPlacementOf(placement, 'StageMaster', stage)]),
  ];
}

/** The masters placed outside their parent's process, by name. */
function outOfProcessMasters(placement: PlacementConfig, stages: readonly string[]): string[] {
  return mastersOf(placement, stages).filter(([, placed]) => placed.mode !== 'in-process').map(([name]) => name);
}

/** Checks a placement (from a file or the API) and names what is wrong with it. */
export function validatePlacement(placement: PlacementConfig, stages: readonly string[], source = 'placement'): PlacementConfig {
  checkPlacementKeys(placement, source);
  const checkMode = (mode: unknown, where: string, modes: readonly string[]) => {
    if (!modes.includes(mode as string)) {
      throw new PlacementError(source, `${where} has mode '${String(mode)}'; expected one of ${modes.join(', ')}`);
    }
  };
  if (placement.Worker) checkMode(placement.Worker.mode, 'Worker', WORKER_MODES);
  for (const kind of ['MetaService', 'GlobalStateMaster', 'StageMaster'] as const) {
    if (placement[kind]) checkMode(placement[kind]!.mode, kind, MASTER_MODES);
  }
  for (const [stage, override] of Object.entries(placement.stages ?? {})) {
    if (!stages.includes(stage)) throw new PlacementError(source, `stage '${stage}' is not in the job (stages: ${stages.join(', ')})`);
    if (override.Worker) checkMode(override.Worker.mode, `stages.${stage}.Worker`, WORKER_MODES);
    if (override.StageMaster) checkMode(override.StageMaster.mode, `stages.${stage}.StageMaster`, MASTER_MODES);
  }
  const remote = stages.filter((stage) => workerModeOf(placement, stage) === 'remote');
  if (remote.length > 0 && !placement.hosts?.length) {
    throw new PlacementError(source, `stages ${remote.join(', ')} run 'remote' workers, which need a cluster: run with 'solstice-node start --hosts cluster.json'`);
  }
  if (remote.length > 0 && remote.length < stages.length) {
    const local = stages.filter((stage) => !remote.includes(stage));
    throw new PlacementError(source, `on a cluster every stage's workers run on its hosts; stages ${local.join(', ')} do not`);
  }
  checkMasterHosts(placement, stages, source);
  return placement;
}

/** A placement is an object of the keys it knows, at every level: a misspelt key (`Workers`) would be ignored. */
function checkPlacementKeys(placement: unknown, source: string): void {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  const check = (value: unknown, where: string, known: readonly string[]) => {
    if (!isObject(value)) throw new PlacementError(source, `${where} must be an object with ${known.join(', ')}, got ${JSON.stringify(value)}`);
    const problem = unknownKeys(value, known, 'key');
    if (problem) throw new PlacementError(source, `${where}: ${problem}`);
  };
  check(placement, 'the placement', ['Worker', 'MetaService', 'GlobalStateMaster', 'StageMaster', 'stages', 'hosts']);
  const top = placement as Record<string, unknown>;
  if (top.Worker !== undefined) check(top.Worker, 'Worker', ['mode']);
  for (const kind of ['MetaService', 'GlobalStateMaster', 'StageMaster']) if (top[kind] !== undefined) check(top[kind], kind, ['mode', 'host']);
  if (top.stages === undefined) return;
  check(top.stages, 'stages', Object.keys(top.stages as object));
  for (const [stage, override] of Object.entries(top.stages as Record<string, unknown>)) {
    check(override, `stages.${stage}`, ['Worker', 'StageMaster']);
    const { Worker, StageMaster } = override as Record<string, unknown>;
    if (Worker !== undefined) check(Worker, `stages.${stage}.Worker`, ['mode']);
    if (StageMaster !== undefined) check(StageMaster, `stages.${stage}.StageMaster`, ['mode', 'host']);
  }
}

/**
 * Remote masters need a cluster, and a host they name must be one of its
 * hosts. On a cluster the masters run in their parent's process or on a host
 * agent: both know the cluster secret (from cluster.json, or from the agent),
 * which a master in a thread or process of its own would not.
 */
function checkMasterHosts(placement: PlacementConfig, stages: readonly string[], source: string): void {
  const hosts = placement.hosts ?? [];
  for (const [name, placed] of mastersOf(placement, stages)) {
    if (placed.host !== undefined && placed.mode !== 'remote') {
      throw new PlacementError(source, `${name} names host '${placed.host}', but only a 'remote' master runs on a host; its mode is '${placed.mode}'`);
    }
    if (placed.mode === 'remote' && hosts.length === 0) {
      throw new PlacementError(source, `${name} is 'remote', which needs a cluster: run with 'solstice-node start --hosts cluster.json'`);
    }
    if (placed.host !== undefined && !clusterHostNamed(hosts, placed.host)) {
      const known = hosts.map((host) => `${host.host}:${host.port}`).join(', ');
      throw new PlacementError(source, `${name} is placed on '${placed.host}', which is not one host of the cluster (hosts: ${known})`);
    }
  }
  const apart = mastersOf(placement, stages).filter(([, placed]) => placed.mode === 'threaded' || placed.mode === 'forked').map(([name]) => name);
  if (hosts.length > 0 && apart.length > 0) {
    throw new PlacementError(
      source,
      `on a cluster a master runs in its parent's process or 'remote' on a host agent, where the cluster secret is; ${apart.join(', ')} would not`,
    );
  }
}
