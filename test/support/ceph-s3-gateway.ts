/**
 * A throwaway one-node Ceph cluster with its S3 gateway (radosgw) on
 * 127.0.0.1, for tests: one monitor, one OSD on memstore, no auth, pools of
 * size 1, and a user with fixed keys. Needs Debian's radosgw, ceph-mon and
 * ceph-osd packages (.ci/run installs them).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { setTimeout as sleep } from 'node:timers/promises';

const execFileAsync = promisify(execFile);

/** Runs a Ceph tool; a failure keeps only the tail of its output, Ceph's assertion dumps run long. */
async function run(command: string, args: string[], options: { timeout?: number } = {}): Promise<{ stdout: string }> {
  try {
    return await execFileAsync(command, args, { timeout: options.timeout ?? 60_000 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${(stderr ?? String(error)).split('\n').slice(0, 4).join('\n')}`);
  }
}

export interface S3Gateway {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the gateway only (the cluster keeps running), to test an outage. */
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
  stop(): Promise<void>;
}

/** The commands the cluster is started with, found on PATH as `run` finds them. */
const COMMANDS = ['ceph', 'ceph-mon', 'ceph-osd', 'monmaptool', 'radosgw', 'radosgw-admin'];

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the gateway cannot start here, or undefined if it can. */
export function cephUnavailableReason(): string | undefined {
  const missing = COMMANDS.filter((command) => !onPath(command));
  return missing.length
    ? `Ceph's S3 gateway: ${missing.join(', ')} not on PATH (apt-get install --no-install-recommends radosgw ceph-mon ceph-osd)`
    : undefined;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`Ceph test cluster: timed out waiting for ${what}`);
}

export async function startCephS3Gateway(): Promise<S3Gateway> {
  const dir = await mkdtemp(join(tmpdir(), 'solstice-ceph-'));
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  const osdUuid = randomUUID();
  const conf = join(dir, 'ceph.conf');
  const runDir = join(dir, 'run');
  for (const sub of ['run', 'rgw', 'mon', 'osd']) await mkdir(join(dir, sub));
  await writeFile(conf, [
    '[global]',
    `fsid = ${fsid}`,
    `mon_host = v1:127.0.0.1:${monPort}`,
    'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none',
    'osd_pool_default_size = 1', 'osd_pool_default_min_size = 1', 'mon_allow_pool_size_one = true',
    'osd_pool_default_pg_num = 8', 'osd_pool_default_pgp_num = 8', 'mon_max_pg_per_osd = 1000',
    'osd_objectstore = memstore', 'memstore_device_bytes = 1073741824',
    'osd_class_update_on_start = false', 'osd_crush_update_on_start = false',
    `run_dir = ${runDir}`, `pid_file = ${runDir}/$name.pid`, `admin_socket = ${runDir}/$name.asok`,
    `log_file = ${dir}/$name.log`, `mon_data = ${dir}/mon`, `osd_data = ${dir}/osd`, `keyring = ${dir}/keyring`,
    `public_addr = 127.0.0.1`,
    '[client.rgw]',
    `rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}`,
    `rgw_data = ${dir}/rgw`,
    '',
  ].join('\n'));
  // A monitor, even one in quorum, answers EPERM ("problem getting command descriptions") while it is too busy to
  // serve its command table, as on a loaded machine: such a command is tried again.
  const ceph = async (...args: string[]): Promise<{ stdout: string }> => {
    for (let tries = 1; ; tries++) {
      try {
        return await run('ceph', ['-c', conf, ...args], { timeout: 30_000 });
      } catch (error) {
        if (tries >= 30 || !/problem getting command descriptions/.test((error as Error).message)) throw error;
        await sleep(1000);
      }
    }
  };
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const accessKeyId = 'SOLSTICETESTACCESS';
  const secretAccessKey = 'solstice-test-secret-key-0123456789';

  const pids = async (prefix: string) => {
    const names = (await readdir(runDir)).filter((name) => name.startsWith(prefix) && name.endsWith('.pid'));
    return Promise.all(names.map(async (name) => Number((await readFile(join(runDir, name), 'utf8')).trim())));
  };
  const stopDaemons = async (prefix: string) => {
    for (const pid of await pids(prefix)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      await waitUntil(`${prefix} (pid ${pid}) to exit`, async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 20_000);
    }
    for (const name of (await readdir(runDir)).filter((n) => n.startsWith(prefix) && n.endsWith('.pid'))) await rm(join(runDir, name), { force: true });
  };
  const startGateway = async () => {
    await run('radosgw', ['-n', 'client.rgw', '-c', conf], { timeout: 30_000 });
    await waitUntil('the S3 gateway to answer', async () => (await fetch(endpoint)).ok);
  };

  try {
    await run('monmaptool', ['--create', '--clobber', '--fsid', fsid, '--addv', 'a', `[v1:127.0.0.1:${monPort}]`, join(dir, 'monmap')]);
    await run('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '-c', conf]);
    await run('ceph-mon', ['-i', 'a', '-c', conf]);
    await waitUntil('the monitor to form its quorum', async () => /quorum/.test((await ceph('mon', 'stat')).stdout));
    await ceph('osd', 'create', osdUuid);
    await run('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', osdUuid, '-c', conf], { timeout: 30_000 });
    await run('ceph-osd', ['-i', '0', '-c', conf]);
    await ceph('osd', 'crush', 'add', 'osd.0', '1.0', 'host=localhost', 'root=default');
    await waitUntil('the OSD to be up', async () => /1 up/.test((await ceph('osd', 'stat')).stdout));
    await startGateway();
    await run('radosgw-admin', ['-c', conf, 'user', 'create', '--uid=solstice', '--display-name=solstice',
      `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`], { timeout: 30_000 });
  } catch (error) {
    await Promise.all(['client.rgw', 'osd', 'mon'].map((prefix) => stopDaemons(prefix).catch(() => undefined)));
    throw error;
  }
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    stopGateway: () => stopDaemons('client.rgw'),
    startGateway,
    async stop() {
      await stopDaemons('client.rgw');
      await stopDaemons('osd');
      await stopDaemons('mon');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
