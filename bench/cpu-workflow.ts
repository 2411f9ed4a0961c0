/**
 * The job of bench/scaling: JSON lines read in-process, a CPU-bound map
 * (20,000 rounds of integer hashing per row) on `config.workers` workers
 * (bench/scaling forks them), and a JSON lines sink in-process.
 */
import { join } from 'node:path';
import { FileSink, FileSource, Job, MapOperator, Stage, type Row } from '../lib/index.js';

/** A deliberately slow row function: `rounds` rounds of 32-bit FNV-style mixing. */
function digest(row: Row, rounds: number): Row {
  let h = Number(row.id) | 0;
  for (let i = 0; i < rounds; i++) h = Math.imul(h ^ i, 16777619) >>> 0;
  return { id: row.id, digest: h };
}

export function createJob(jobId: string, config: Record<string, unknown>): Job {
  const rounds = Number(config.rounds ?? 20_000);
  const job = new Job({ jobId, checkpointIntervalSecs: 0 });
  job.addStage(new Stage('source', FileSource, { paths: String(config.input), splitBytes: Number(config.splitBytes ?? 64 * 1024) }, 1));
  job.addStage(new Stage('digest', MapOperator, { fn: (row: Row) => digest(row, rounds) }, Number(config.workers ?? 1)), ['source']);
  job.addStage(new Stage('sink', FileSink, { path: join(String(config.output), 'digests'), format: 'jsonl' }, 1), ['digest']);
  return job;
}
