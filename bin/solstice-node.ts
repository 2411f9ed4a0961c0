#!/usr/bin/env node
import yargs, { type ArgumentsCamelCase, type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { WORKER_MODES } from '../lib/placement-config.js';
import { ArgumentError } from '../lib/errors/index.js';
import { listCheckpointsCommand } from './checkpoints-command.js';
import { jobsCommand } from './jobs-command.js';
import { DEFAULT_DASHBOARD_PORT, runWorkflowCommand, RUN_OPTION_NAMES } from './run-command.js';
import { runHostAgentCommand } from './node-command.js';
import { importVideosCommand } from './videos-command.js';
import { declaredWorkflowOptions, refuseUndeclaredFlags, withWorkflowFlags } from './workflow-flags.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../lib/logger.js';

const LOCAL_WORKER_MODES = WORKER_MODES.filter((mode) => mode !== 'remote');
const args = hideBin(process.argv);
// The workflow's declared options are flags of run and start, shown by --help and checked.
const declared = await declaredWorkflowOptions(args);

await yargs(args)
  .scriptName('solstice-node')
  .usage('$0 <command> [options]')
  .command(
    'run',
    'Run a workflow to its end. The workflow\'s options (--key value) are passed to its createJob(jobId, config): those it declares, listed by --help with --workflow, or any when it declares none.',
    (y) =>
      withWorkflowFlags(jobOptions(y), declared)
        .option('workers', { choices: LOCAL_WORKER_MODES, describe: 'Where workers run: in the job\'s process, one worker thread each, or one forked process each (default in-process, or what --placement says)' })
        .option('placement', { type: 'string', describe: 'A JSON file placing actors per kind and stage, e.g. {"Worker":{"mode":"forked"},"stages":{"sink":{"Worker":{"mode":"in-process"}}}}' })
        .example('$0 run --workflow simple_etl --job-id demo --rows 1000000', 'Generate 1M sample orders and run the ETL on them')
        .example('$0 run --workflow ./my_flow.ts --job-id j1 --input "in/*.csv" --output out/', 'Run your own workflow module')
        .example('$0 run --workflow ./my_flow.ts --job-id j1 --restore latest', 'Resume a killed job from its latest checkpoint')
        .example('$0 run --workflow simple_etl --job-id j2 --workers forked', 'Run every worker in a process of its own'),
    async (argv) => {
      process.exitCode = await runWorkflowCommand({ ...jobCommand(argv), workers: argv.workers, placementFile: argv.placement });
    },
  )
  .command(
    'start',
    'Run a workflow with its workers on the host agents that cluster.json lists (see docs/cluster.md). Takes the options of run except --workers.',
    (y) =>
      withWorkflowFlags(jobOptions(y), declared)
        .option('hosts', { type: 'string', demandOption: true, describe: 'cluster.json: {"secretFile": "cluster.secret", "hosts": [{"host": "10.0.0.2", "port": 6161, "slots": 2}]}' })
        .option('placement', { type: 'string', describe: 'A JSON file placing the masters, in this process (default) or on the hosts, e.g. {"MetaService":{"mode":"remote"},"StageMaster":{"mode":"remote"}}' })
        .example('$0 start --hosts cluster.json --workflow simple_etl --job-id etl --input /shared/in --output /shared/out', 'Run simple_etl on the cluster')
        .example('$0 start --hosts cluster.json --placement masters.json --workflow simple_etl --job-id etl', 'Run the masters on the hosts too')
        .check((argv) => {
          if (argv['workers'] !== undefined) throw new ArgumentError('--workers', String(argv['workers']), '--workers is an option of run: start runs every worker on the hosts of cluster.json');
          return true;
        }),
    async (argv) => {
      process.exitCode = await runWorkflowCommand({ ...jobCommand(argv), clusterFile: argv.hosts, placementFile: argv.placement });
    },
  )
  .command(
    'node',
    'Run a host agent: it starts the workers (and masters) that jobs started with `start` place on this host. Runs until SIGINT or SIGTERM.',
    (y) =>
      y
        .option('listen', { type: 'string', demandOption: true, describe: 'HOST:PORT to listen on (port default 6161); every port the agent and its workers open binds to HOST' })
        .option('secret-file', { type: 'string', demandOption: true, describe: 'File holding the cluster\'s shared secret (at least 16 bytes), the same on every host and in cluster.json' })
        .option('log-level', { choices: LOG_LEVELS, describe: 'Log level (on stderr; its format as SOLSTICE_LOG_FORMAT says, else readable at a terminal, JSON lines otherwise); default SOLSTICE_LOG_LEVEL or warn' })
        .example('$0 node --listen 10.0.0.2:6161 --secret-file /etc/solstice/cluster.secret', 'Serve this host to the cluster'),
    async (argv) => {
      process.exitCode = await runHostAgentCommand({ listen: argv.listen, secretFile: argv['secret-file'], logLevel: argv['log-level'] });
      // Actor processes that ignored SIGTERM must not keep the agent alive.
      process.exit();
    },
  )
  .command(
    'checkpoints <action>',
    'Inspect a job\'s checkpoints',
    (y) =>
      y
        .positional('action', { choices: ['list'] as const, describe: 'list: completed checkpoints, oldest first' })
        .option('job-id', { type: 'string', demandOption: true, describe: 'The job id', coerce: oneJobId })
        .option('state-backend', { type: 'string', alias: 'state', describe: 'Where checkpoints live, as given to run (default .solstice under the working directory); the job\'s are under <location>/<job id>/checkpoints/' }),
    async (argv) => {
      process.exitCode = await listCheckpointsCommand(argv['job-id'], argv['state-backend']);
    },
  )
  .command(
    'jobs <action> [job]',
    'What happened to the jobs of a state location: their runs, attempts, checkpoints and summaries (see docs/observability.md)',
    (y) =>
      y
        .positional('action', { choices: ['list', 'show'] as const, demandOption: true, describe: 'list: every job in the location, with its last run and latest checkpoint; show: the runs of <job>, newest first' })
        .positional('job', { type: 'string', describe: 'The job id (show)' })
        .option('state-backend', { type: 'string', alias: 'state', describe: 'The state location, as given to run (default .solstice under the working directory); a job\'s runs are under <location>/<job id>/runs/' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the same as one JSON document' })
        .check((argv) => {
          if (argv.action === 'show' && !argv.job) throw new ArgumentError('job', '', 'jobs show needs the job id: solstice-node jobs show <job>');
          return true;
        })
        .example('$0 jobs list --state-backend .solstice', 'Every job there, with the status of its last run')
        .example('$0 jobs show nightly', 'The runs of job nightly: attempts, checkpoints, summary'),
    async (argv) => {
      process.exitCode = await jobsCommand({ action: argv.action, jobId: argv.job, stateBackend: argv['state-backend'], json: argv.json });
    },
  )
  .command(
    'videos <action> <dir> <table>',
    'Build the Lance table of a folder\'s videos that the video_slice workflow reads (one row per video: video, name, size)',
    (y) =>
      y
        .positional('action', { choices: ['import'] as const, describe: 'import: add the videos under <dir> that <table> does not list yet (creating it if missing)' })
        .positional('dir', { type: 'string', demandOption: true, describe: 'A folder; every file ending in a video extension below it is listed' })
        .positional('table', { type: 'string', demandOption: true, describe: 'The table\'s folder, e.g. data/videos.lance' })
        .example('$0 videos import ~/clips data/videos.lance', 'List the clips, for video_slice to read with --source data/videos.lance'),
    async (argv) => {
      process.exitCode = await importVideosCommand(argv.dir, argv.table);
    },
  )
  .demandCommand(1, 'Name a command: run, start, node, checkpoints, jobs, videos')
  .strictCommands()
  .showHelpOnFail(false, 'Run with --help for the options')
  .recommendCommands()
  .help()
  .alias('help', 'h')
  .version()
  .wrap(Math.min(120, process.stdout.columns ?? 120))
  .parseAsync();

/** The options of run and start. */
function jobOptions<T>(y: Argv<T>) {
  return y
    .check((argv) => {
      if (declared) refuseUndeclaredFlags(workflowConfig(argv), declared, RUN_OPTION_NAMES);
      return true;
    })
    .option('workflow', { type: 'string', demandOption: true, describe: 'A path to a module exporting createJob, relative to the working directory or absolute (.js, .mjs or .ts; extension optional; or a folder with an index module), else a built-in workflow (simple_etl, workflows/simple_etl)' })
    .option('job-id', { type: 'string', demandOption: true, describe: 'The job id, passed to createJob', coerce: oneJobId })
    .option('input', { type: 'string', describe: 'Passed to createJob as config.input (a list when given more than once)' })
    .option('output', { type: 'string', describe: 'Passed to createJob as config.output' })
    .option('state-backend', { type: 'string', alias: 'state', describe: 'Where checkpoints live: a path, file:// URL, s3://bucket/prefix?endpoint=... or webhdfs://namenode:port/path?user=...; the job\'s checkpoints go under <location>/<job id>/checkpoints/ (default .solstice under the working directory)' })
    .option('restore', { type: 'string', describe: "Resume from 'latest', a checkpoint id, or 'none' to start over. Default: the latest checkpoint of an unfinished job" })
    .option('progress-interval', {
      type: 'string', describe: 'Seconds between progress updates on stderr: live bars per stage when stderr is a terminal (default 0.5), plain lines otherwise (default 2); 0 turns them off',
      coerce: (text: string): number => {
        const value = Number(text);
        if (text.trim() === '' || !(Number.isFinite(value) && value >= 0)) throw new ArgumentError('--progress-interval', text, `--progress-interval takes a number of seconds, 0 or more, got '${text}'`);
        return value;
      },
    })
    .option('log-level', { choices: LOG_LEVELS, describe: 'Framework log level (on stderr); default SOLSTICE_LOG_LEVEL or warn' })
    .option('log-format', { choices: LOG_FORMATS, describe: 'How the framework\'s logs are written, by every actor of the job: json lines, or pretty (readable) lines; default SOLSTICE_LOG_FORMAT, else pretty when stderr is a terminal, json otherwise' })
    .option('explain', { type: 'boolean', default: false, describe: 'Print the plan (which stages are fused into chains, their parallelism and placement, and why adjacent ones are not fused) and exit without running' })
    .option('dead-letter', { type: 'string', describe: "Where the bad records of stages with onError: 'dead-letter' go: a folder (default dead-letters/<job id>), one folder per stage of JSON lines files, or a Lance table when it ends in .lance" })
    .option('fail-on-dead-letters', { type: 'boolean', default: false, describe: 'Exit with code 3 when the job wrote dead letters (it exits 0 otherwise, with a warning)' })
    .option('quiet', { type: 'boolean', default: false, describe: 'Print no progress and no summary; errors (and the dead letters note) still go to stderr, and the exit code is the same' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the summary on stdout as one JSON document instead of the table; a failure as {"error": {class, message, details, cause}} besides the text on stderr' })
    .option('dashboard', {
      type: 'string', describe: `Serve the job's metrics (/metrics, Prometheus text format) and status (/api/status, /api/events) on this port (${DEFAULT_DASHBOARD_PORT} when no port is given, 0 for any free one), printing the URL on stderr; it keeps serving the final figures after the job ends, until Ctrl-C`,
      coerce: dashboardPort,
    })
    .option('dashboard-host', { type: 'string', describe: 'The address the dashboard binds to (default 127.0.0.1, this host only)' });
}

/** `--dashboard` alone takes the default port; `--dashboard PORT` that port, 0 any free one. */
function dashboardPort(text: string | string[]): number {
  if (Array.isArray(text)) throw new ArgumentError('--dashboard', text.join(', '), `--dashboard is given ${text.length} times: give it once`);
  if (text === '') return DEFAULT_DASHBOARD_PORT;
  const port = Number(text);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new ArgumentError('--dashboard', text, `--dashboard takes a port, 0 to 65535, got '${text}'`);
  return port;
}

function jobCommand(argv: ArgumentsCamelCase<{
  workflow: string; 'job-id': string; 'progress-interval'?: number; 'log-level'?: LogLevel; 'log-format'?: LogFormat; 'state-backend'?: string; restore?: string; explain: boolean;
  'dead-letter'?: string; 'fail-on-dead-letters': boolean; quiet: boolean; json: boolean; dashboard?: number; 'dashboard-host'?: string;
}>) {
  return {
    workflow: argv.workflow,
    explain: argv.explain,
    jobId: argv['job-id'],
    progressIntervalSecs: argv['progress-interval'],
    logLevel: argv['log-level'],
    logFormat: argv['log-format'],
    stateBackend: argv['state-backend'],
    restore: argv.restore,
    deadLetter: argv['dead-letter'],
    failOnDeadLetters: argv['fail-on-dead-letters'],
    quiet: argv.quiet,
    json: argv.json,
    ...(argv.dashboard === undefined ? {} : { dashboard: { port: argv.dashboard, host: argv['dashboard-host'] } }),
    config: workflowConfig(argv),
  };
}

/**
 * Every option the run command does not define, in camelCase, for
 * createJob's config; `--flag true` and `--flag false` are booleans, not the
 * text "false", which would be truthy. A workflow that declares its options
 * gets no other.
 */
function workflowConfig(argv: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || key.includes('-') || RUN_OPTION_NAMES.has(key)) continue;
    config[key] = value === 'true' ? true : value === 'false' ? false : value;
  }
  return config;
}


/** `--job-id` given once: given twice, yargs would make it a list. */
function oneJobId(value: string | string[]): string {
  if (Array.isArray(value)) throw new ArgumentError('--job-id', value.join(', '), `--job-id is given ${value.length} times (${value.map((id) => `'${id}'`).join(', ')}): give it once`);
  return value;
}
