import test from 'ava';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { HandshakeError } from '../lib/index.js';
import { actorModulePath } from '../comedy-adapter/index.js';
import { connectAuthenticated } from '../cluster/socket-handshake.js';
import { writeChaosInput } from './support/chaos-data.js';
import { checkWholeChaosOutput } from './support/chaos-expected.js';
import { CHAOS_WORKFLOW } from './support/chaos-run.js';
import { runCli, startCli, untilLogged } from './support/cli.js';
import { childPids } from './support/processes.js';
import { tempDir } from './support/files.js';
import { until } from './support/until.js';
import { clusterIn, writeSecret, type RunningAgent } from './support/host-agents.js';

const require = createRequire(import.meta.url);
const MessageSocket = require('comedy/lib/net/message-socket.js') as {
  new (socket: Socket): {
    on(event: 'message', listener: (message: { type?: string; error?: string; body?: { port?: number } }) => void): void;
    write(message: unknown): void;
  };
  prototype: { makePacket(this: { messageType: number }, message: unknown): Buffer };
};

/** Listening TCP sockets of the given processes, from `ss -ltnpH`: local address and port, and the owner's pid. */
function listeningSockets(pids: number[]): { address: string; port: number; pid: number }[] {
  const lines = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' }).split('\n');
  return lines.flatMap((line) => {
    const fields = line.trim().split(/\s+/);
    const local = fields[3];
    const owner = /pid=(\d+)/.exec(line);
    if (!local || !owner || !pids.includes(Number(owner[1]))) return [];
    const at = local.lastIndexOf(':');
    return [{ address: local.slice(0, at), port: Number(local.slice(at + 1)), pid: Number(owner[1]) }];
  });
}

/** Connects, sends `bytes` without any handshake, and returns what came back before the server closed the connection. */
function sendUnauthenticated(host: string, port: number, bytes: Buffer): Promise<{ received: Buffer; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer: false });
    }, 8000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closedByServer: true });
    });
  });
}

/** Whether `received` is a server's greeting and nothing more: 'SOLSTICE/1' and a nonce, or a payload server's one 'hello' frame. */
function isGreetingOnly(received: Buffer, comedyPort: boolean): boolean {
  if (comedyPort) return received.length === 42 && received.subarray(0, 10).toString() === 'SOLSTICE/1';
  if (received.length < 4 || received.readUInt32BE(0) !== received.length - 4) return false;
  const header = JSON.parse(received.subarray(4).toString()) as Record<string, unknown>;
  return Object.keys(header).sort().join() === 'nonce,op' && header.op === 'hello';
}

/** A Comedy 'create-actor' request for the framework's Worker, as a host agent receives it. */
function createWorkerRequest(): object {
  return {
    type: 'create-actor',
    body: {
      id: 'probe-actor', name: 'probe', definition: actorModulePath('Worker'), definitionFormat: 'modulePath',
      parent: { id: 'probe-parent' }, mode: 'remote', actorConfig: { customParameters: {} }, pingTimeout: 15000,
    },
  };
}




test('a job spread over two host agents, with its masters in the job or on the agents, writes every record once and exact totals, as in-process, with non-ASCII paths in its messages', async (t) => {
  // Comedy framed remote messages by characters; 'é' in the paths its messages carry broke the stream.
  const dir = join(await tempDir('solstice-cluster-same-'), 'données-é');
  await mkdir(dir);
  const { agents, hosts } = await clusterIn(t, dir, ['127.0.0.2', '127.0.0.3'], 5);
  const { records, totals } = await writeChaosInput(join(dir, 'in'), 3, 6000);
  const job = ['--workflow', CHAOS_WORKFLOW, '--input', join(dir, 'in', '*.jsonl'), '--delay-ms', '0', '--split-bytes', '8000', '--progress-interval', '0'];

  const local = await runCli(['run', ...job, '--job-id', 'local', '--output', join(dir, 'out-local')], { cwd: dir });
  t.is(local.code, 0, local.stderr);
  const cluster = await runCli(['start', '--hosts', hosts, ...job, '--job-id', 'cluster', '--output', join(dir, 'out-cluster'), '--log-level', 'info'], { cwd: dir });
  t.is(cluster.code, 0, cluster.stderr);

  const placement = join(dir, 'masters.json');
  await writeFile(placement, JSON.stringify({ MetaService: { mode: 'remote' }, GlobalStateMaster: { mode: 'remote' }, StageMaster: { mode: 'remote' } }));
  const masters = await runCli(['start', '--hosts', hosts, '--placement', placement, ...job, '--job-id', 'cluster-masters', '--output', join(dir, 'out-masters')], { cwd: dir });
  t.is(masters.code, 0, masters.stderr);

  await checkWholeChaosOutput(t, join(dir, 'out-local'), records, totals, 'in-process');
  await checkWholeChaosOutput(t, join(dir, 'out-cluster'), records, totals, 'on the hosts');
  await checkWholeChaosOutput(t, join(dir, 'out-masters'), records, totals, 'with the masters on the hosts');
  // Both hosts ran workers.
  for (const agent of agents) t.regex(agent.output(), /"msg":"actor created"/, `${agent.host} created actors`);
});

test('a host agent killed mid-job loses its workers; the job restarts on the other hosts and writes every record once', async (t) => {
  const dir = await tempDir('solstice-cluster-kill-');
  const { agents, hosts } = await clusterIn(t, dir, ['127.0.0.2', '127.0.0.3', '127.0.0.4'], 5);
  const { records, totals } = await writeChaosInput(join(dir, 'in'), 3, 30_000);
  const output = join(dir, 'out');
  const job = startCli(['start', '--hosts', hosts, '--workflow', CHAOS_WORKFLOW, '--job-id', 'cluster-kill', '--input', join(dir, 'in', '*.jsonl'),
    '--output', output, '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0.1', '--log-level', 'info'], dir);
  t.true(await untilLogged(job, /"msg":"checkpoint published"/), job.stderr());
  const victim = agents[1]!;
  const victimActors = childPids(victim.process.pid!);
  t.true(victimActors.length > 0, 'the victim host ran workers');
  victim.process.kill('SIGKILL');

  t.is(await job.exited, 0, job.stderr());
  t.regex(job.stderr(), new RegExp(`on ${victim.host}:${victim.port}\\) lost its connection`));
  t.regex(job.stderr(), new RegExp(`"host":"${victim.host}:${victim.port}".*host agent does not answer`));
  t.regex(job.stdout(), /restarted 1 time\(s\)/);
  await checkWholeChaosOutput(t, output, records, totals);
  // The actor processes of the killed agent ended with it.
  const alive = victimActors.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  t.deepEqual(alive, []);
});

test('masters placed on host agents: killing the agent that runs the MetaService restarts the job on the others, every record once', async (t) => {
  const dir = await tempDir('solstice-cluster-masters-');
  const { agents, hosts } = await clusterIn(t, dir, ['127.0.0.9', '127.0.0.10', '127.0.0.11'], 5);
  const placement = join(dir, 'placement.json');
  await writeFile(placement, JSON.stringify({ MetaService: { mode: 'remote' }, GlobalStateMaster: { mode: 'remote' }, StageMaster: { mode: 'remote' } }));
  const { records, totals } = await writeChaosInput(join(dir, 'in'), 3, 30_000);
  const output = join(dir, 'out');
  const job = startCli(['start', '--hosts', hosts, '--placement', placement, '--workflow', CHAOS_WORKFLOW, '--job-id', 'cluster-masters',
    '--input', join(dir, 'in', '*.jsonl'), '--output', output, '--delay-ms', '25', '--interval-secs', '0.25', '--progress-interval', '0.1',
    '--log-level', 'info'], dir);
  t.true(await untilLogged(job, /^\[\d/m), job.stderr());
  const created = (agent: RunningAgent, name: string) => agent.output().includes(`"name":"${name}"`);
  // Every master runs on an agent, none in the job's process.
  for (const name of ['MetaService', 'GlobalStateMaster', 'StageMaster-source', 'StageMaster-totals+totals-sink']) {
    t.is(agents.filter((agent) => created(agent, name)).length, 1, `${name} was created on one agent`);
  }
  t.notRegex(job.stderr(), /"actor":"(MetaService|StageMaster|GlobalStateMaster)"/, 'no master logs from the job\'s process');
  // The GlobalStateMaster logs on the agent that runs it.
  await until('a checkpoint was published', () => job.ended() || agents.some((agent) => /"msg":"checkpoint published"/.test(agent.output())));
  const victim = agents.find((agent) => created(agent, 'MetaService'))!;
  victim.process.kill('SIGKILL');

  t.is(await job.exited, 0, job.stderr());
  t.regex(job.stderr(), new RegExp(`The job's MetaService \\(pid \\d+ on ${victim.host}:${victim.port}\\) lost its connection`));
  t.regex(job.stdout(), /restarted 1 time\(s\)/);
  await checkWholeChaosOutput(t, output, records, totals);
  // The restarted job ran its MetaService on a host that was left.
  t.is(agents.filter((agent) => agent !== victim && created(agent, 'MetaService')).length, 1);
});

test('every port of a host agent and its actors binds to the agent address and refuses clients without the secret', async (t) => {
  const dir = await tempDir('solstice-cluster-auth-');
  const { secretFile, agents, hosts } = await clusterIn(t, dir, ['127.0.0.5', '127.0.0.6'], 5);
  const { records, totals } = await writeChaosInput(join(dir, 'in'), 2, 4000);
  const output = join(dir, 'out');
  // The job's splits wait at its gate until the test creates this file: its actors and their ports stay up while probed.
  const gate = join(dir, 'probes-done');
  const job = startCli(['start', '--hosts', hosts, '--workflow', CHAOS_WORKFLOW, '--job-id', 'cluster-auth', '--input', join(dir, 'in', '*.jsonl'),
    '--output', output, '--gate', gate, '--delay-ms', '0', '--progress-interval', '0.2'], dir);
  t.teardown(() => {
    if (job.child.exitCode === null && job.child.signalCode === null) job.child.kill('SIGKILL');
  });
  t.true(await untilLogged(job, /^\[\d/m), job.stderr());
  t.is(job.child.exitCode, null, `the job runs: ${job.stderr()}`);

  const agentPids = agents.map((agent) => agent.process.pid!);
  const actorPids = agentPids.flatMap((pid) => childPids(pid));
  // One per worker: source 1, slow+key 2, records 2, totals+totals-sink 2.
  t.true(actorPids.length >= 7, `actor processes: ${actorPids.join(', ')}`);
  const sockets = listeningSockets([...agentPids, ...actorPids]);
  const hostOf = (pid: number) => agents[agentPids.indexOf(pid)]?.host ?? agents.find((agent) => childPids(agent.process.pid!).includes(pid))!.host;
  // Each agent's port, and each actor's payload server (an actor's own port closes once the job is connected).
  t.true(sockets.length >= agents.length + actorPids.length, JSON.stringify(sockets));
  for (const socket of sockets) t.is(socket.address, hostOf(socket.pid), `pid ${socket.pid} listens on ${socket.address}:${socket.port}`);

  const comedyRequest = MessageSocket.prototype.makePacket.call({ messageType: 1 }, createWorkerRequest());
  const payloadRequest = Buffer.concat([Buffer.alloc(4), Buffer.from(JSON.stringify({ op: 'take', id: '0', requestId: 0 }))]);
  payloadRequest.writeUInt32BE(payloadRequest.length - 4, 0);
  for (const socket of sockets) {
    const isAgent = agentPids.includes(socket.pid);
    const before = isAgent ? childPids(socket.pid).length : 0;
    const { received, closedByServer } = await sendUnauthenticated(socket.address, socket.port, isAgent ? comedyRequest : payloadRequest);
    t.true(closedByServer, `${socket.address}:${socket.port} closed the connection`);
    // Nothing but the server's greeting and nonce came back: no actor, no payload, no error text.
    t.true(isGreetingOnly(received, isAgent), `${socket.port}: ${received.toString()}`);
    if (isAgent) t.is(childPids(socket.pid).length, before, 'no actor process was started');
  }

  // A client with another secret is refused by the agent as well.
  const agent = agents[0]!;
  await t.throwsAsync(connectAuthenticated(agent.host, agent.port, randomBytes(32)), { instanceOf: HandshakeError, message: /closed the connection during the handshake/ });

  // An actor's own port: created through the agent with the secret, refused to anyone without it.
  const secret = Buffer.from((await readFile(secretFile, 'utf8')).trim());
  const channel = new MessageSocket(await connectAuthenticated(agent.host, agent.port, secret));
  const created = await new Promise<{ body?: { port?: number }; error?: string }>((resolve) => {
    channel.on('message', resolve);
    channel.write(createWorkerRequest());
  });
  const actorPort = created.body?.port;
  t.truthy(actorPort, JSON.stringify(created));
  t.deepEqual(listeningSockets(childPids(agent.process.pid!)).filter((s) => s.port === actorPort).map((s) => s.address), [agent.host]);
  const unauthenticated = await sendUnauthenticated(agent.host, actorPort!, comedyRequest);
  t.true(unauthenticated.closedByServer);
  t.true(isGreetingOnly(unauthenticated.received, true), unauthenticated.received.toString());
  await t.throwsAsync(connectAuthenticated(agent.host, actorPort!, randomBytes(32)), { message: /closed the connection during the handshake/ });

  // The agent refuses code sent as source, even from a client with the secret.
  const serialized = new MessageSocket(await connectAuthenticated(agent.host, agent.port, secret));
  const refused = await new Promise<{ error?: string }>((resolve) => {
    serialized.on('message', resolve);
    const request = createWorkerRequest() as { body: Record<string, unknown> };
    serialized.write({ ...request, body: { ...request.body, definition: 'class Evil {}', definitionFormat: 'serialized' } });
  });
  t.regex(refused.error ?? '', /module paths only, never from serialized code/);

  t.false(existsSync(output) && (await readdir(output, { recursive: true })).some((name) => name.endsWith('.jsonl')), 'no split passed the gate while probed');
  await writeFile(gate, '');
  t.is(await job.exited, 0, job.stderr());
  await checkWholeChaosOutput(t, output, records, totals);
});

test('a worker that fails to start on a host fails the job with its cause, at once', async (t) => {
  const dir = await tempDir('solstice-cluster-start-');
  const { agents, hosts } = await clusterIn(t, dir, ['127.0.0.8'], 10);
  await writeChaosInput(join(dir, 'in'), 1, 100);
  const workflow = join(dirname(CHAOS_WORKFLOW), 'agent_only_failure_workflow.js');
  const result = await runCli(['start', '--hosts', hosts, '--workflow', workflow, '--job-id', 'fails', '--input', join(dir, 'in', '*.jsonl'),
    '--output', join(dir, 'out'), '--progress-interval', '0'], { cwd: dir });
  t.is(result.code, 1, result.stderr);
  // Its cause, not a heartbeat timeout (60 s) nor runCli's own timeout, which kills a hung job with no such line.
  t.regex(result.stderr, /cannot load the workflow's libraries on 127\.0\.0\.8/);
  t.notRegex(result.stderr, /answered no heartbeat/);
  t.notRegex(result.stderr, /Unhandled rejection/, 'every failure of the start is heard');
  // The agent ends its actors' processes once the job has gone; they take their time to exit on a loaded machine.
  await until('no actor process is left on the agent', () => childPids(agents[0]!.process.pid!).length === 0);
});

test('cluster settings that cannot work are refused with what is wrong', async (t) => {
  const dir = await tempDir('solstice-cluster-config-');
  const secretFile = await writeSecret(dir);
  const everywhere = await runCli(['node', '--listen', '0.0.0.0:0', '--secret-file', secretFile], { cwd: dir });
  t.is(everywhere.code, 1);
  t.regex(everywhere.stderr, /^error: ArgumentError: --listen 0\.0\.0\.0:0 would accept connections on every interface/m);

  const short = join(dir, 'short.secret');
  await writeFile(short, 'abc\n');
  const weak = await runCli(['node', '--listen', '127.0.0.7:0', '--secret-file', short], { cwd: dir });
  t.is(weak.code, 1);
  t.regex(weak.stderr, /^error: ClusterSecretError: The cluster secret in \S+short\.secret has 3 bytes; it needs at least 16/m);

  // A cluster none of whose hosts answers.
  const clusterFile = join(dir, 'cluster.json');
  await writeFile(clusterFile, JSON.stringify({ secretFile: 'cluster.secret', hosts: [{ host: '127.0.0.7', port: 1, slots: 4 }] }));
  await writeChaosInput(join(dir, 'in'), 1, 100);
  const nobody = await runCli(['start', '--hosts', clusterFile, '--workflow', CHAOS_WORKFLOW, '--job-id', 'nobody', '--input', join(dir, 'in', '*.jsonl'),
    '--output', join(dir, 'out'), '--progress-interval', '0'], { cwd: dir });
  t.is(nobody.code, 1);
  t.regex(nobody.stderr, /127\.0\.0\.7:1.*host agent does not answer/);
  // Four chains: source 1, slow+key 2 (fused), records 2, totals+totals-sink 2 (fused).
  t.regex(nobody.stderr, /^error: ClusterCapacityError: The job needs 7 worker slots; the hosts that answer have 0/m);

  // Masters on a cluster: in the job's process or on a host agent, on a host of the cluster that answers.
  const placementFile = join(dir, 'placement.json');
  const startWith = async (placement: object) => {
    await writeFile(placementFile, JSON.stringify(placement));
    return runCli(['start', '--hosts', clusterFile, '--placement', placementFile, '--workflow', CHAOS_WORKFLOW, '--job-id', 'masters',
      '--input', join(dir, 'in', '*.jsonl'), '--output', join(dir, 'out'), '--progress-interval', '0'], { cwd: dir });
  };
  const workersOption = await runCli(['start', '--hosts', clusterFile, '--workflow', CHAOS_WORKFLOW, '--job-id', 'w', '--workers', 'forked'], { cwd: dir });
  t.is(workersOption.code, 1);
  t.regex(workersOption.stderr, /--workers is an option of run: start runs every worker on the hosts of cluster\.json/);
  const forkedMaster = await startWith({ StageMaster: { mode: 'forked' } });
  t.is(forkedMaster.code, 1);
  t.regex(forkedMaster.stderr, /^error: PlacementError: placement: on a cluster a master runs in its parent's process or 'remote' on a host agent, where the cluster secret is; StageMaster of 'source'/m);
  const unknownHost = await startWith({ MetaService: { mode: 'remote', host: '127.0.0.9' } });
  t.regex(unknownHost.stderr, /MetaService is placed on '127\.0\.0\.9', which is not one host of the cluster \(hosts: 127\.0\.0\.7:1\)/);
  const downHost = await startWith({ MetaService: { mode: 'remote', host: '127.0.0.7:1' } });
  t.is(downHost.code, 1);
  t.regex(downHost.stderr, /^error: HostUnavailableError: MetaService is placed on 127\.0\.0\.7:1, whose host agent does not answer/m);

  await writeFile(clusterFile, JSON.stringify({ secretFile: 'cluster.secret', hosts: [{ host: '127.0.0.7', slots: 0 }] }));
  const noSlots = await runCli(['start', '--hosts', clusterFile, '--workflow', CHAOS_WORKFLOW, '--job-id', 'noslots', '--progress-interval', '0'], { cwd: dir });
  t.is(noSlots.code, 1);
  t.regex(noSlots.stderr, /^error: ClusterConfigError: --hosts: \S+cluster\.json: hosts\[0\]\.slots must be a positive integer/m);
});
