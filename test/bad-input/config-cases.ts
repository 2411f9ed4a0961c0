/**
 * A few mistakes in a job's definition and the CLI's arguments, those no
 * other test covers (the rest are in option-checks.test.ts,
 * job-definition.test.ts, cli-docs.test.ts): each is refused before anything
 * runs, and `onError: 'dead-letter'` does not make it a dead letter.
 */
import { AggregateOperator, FileSink, FileSource, Job, JobDefinitionError, KeyByOperator, MapOperator, Stage, type Row } from '../../lib/index.js';
import { CliError, writeLineFiles, type BadInputCase } from './case.js';

/** A small good input: these cases are about the job, not the data. */
const someRows = (dir: string) => writeLineFiles(dir, { format: 'jsonl', files: 1, rowsPerFile: 5, name: 'in.jsonl' });

export const configCases: BadInputCase[] = [
  {
    name: 'a workflow naming an unknown upstream stage',
    input: someRows,
    job: (run) => {
      const job = new Job({ jobId: run.jobId });
      job.addStage(new Stage('source', FileSource, { paths: run.source }, 1));
      job.addStage(new Stage('check', MapOperator, { fn: (row: Row) => row }, 2), ['sauce']);
      job.addStage(new Stage('sink', FileSink, { path: run.output, format: 'jsonl' }, 1), ['check']);
      return job;
    },
    fails: () => ({ error: JobDefinitionError, message: /^Stage 'check' names unknown upstream 'sauce'; add 'sauce' first \(known: source\)/ }),
    cli: { stderr: () => [/JobDefinitionError: Stage 'check' names unknown upstream 'sauce'; add 'sauce' first \(known: source\)/] },
  },
  {
    name: 'maxRetries on a stage whose operator keeps state',
    input: someRows,
    job: (run) => {
      const job = new Job({ jobId: run.jobId });
      job.addStage(new Stage('source', FileSource, { paths: run.source }, 1));
      job.addStage(new Stage('key', KeyByOperator, { fn: (row: Row) => String(row.id) }, 1), ['source']);
      job.addStage(new Stage('count', AggregateOperator, { aggregations: { n: { op: 'count' } } }, 1, { maxRetries: 2 }), ['key']);
      return job;
    },
    fails: () => ({ error: JobDefinitionError, message: /^Stage 'count': maxRetries is not for a stage whose operator keeps state/ }),
  },
  {
    name: 'an unknown workflow',
    input: someRows,
    cli: { args: () => ['run', '--workflow', 'no_such_flow', '--job-id', 'x'] },
    fails: () => ({ error: CliError, message: /WorkflowNotFoundError: Workflow 'no_such_flow': no module found at .*no_such_flow.*built-in workflows: simple_etl/, fields: { code: 1 } }),
  },
  {
    name: 'run without a workflow',
    input: someRows,
    cli: { args: () => ['run', '--job-id', 'x'] },
    fails: () => ({ error: CliError, message: /Missing required argument: workflow/ }),
  },
];
