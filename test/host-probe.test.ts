import test from 'ava';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { HostAgent } from '../comedy-adapter/index.js';
import { probeHosts } from '../cluster/worker-hosts.js';

test('probing the hosts: an agent that proves the secret is live; one that is silent or refuses is down with why, and the probe leaves no connection open', async (t) => {
  const secret = randomBytes(32);
  const agent = await HostAgent.start({ host: '127.0.0.1', port: 0, secret, secretFile: '/nonexistent' });
  // Accepts connections and never says a word, as a hung host would.
  const accepted: Socket[] = [];
  const silent = createServer((socket) => accepted.push(socket));
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const refusing = createServer();
  refusing.listen(0, '127.0.0.1');
  await once(refusing, 'listening');
  const refusedPort = (refusing.address() as AddressInfo).port;
  await new Promise((resolve) => refusing.close(resolve));
  try {
    const [agentPort, silentPort] = [Number(agent.address.split(':')[1]), (silent.address() as AddressInfo).port];
    const { live, down } = await probeHosts([
      { host: '127.0.0.1', port: agentPort, slots: 1 },
      { host: '127.0.0.1', port: silentPort, slots: 1 },
      { host: '127.0.0.1', port: refusedPort, slots: 1 },
    ], secret);
    t.deepEqual(live.map((host) => host.port), [agentPort]);
    t.deepEqual(down.map(({ host }) => host.port), [silentPort, refusedPort]);
    t.regex(down[0]!.reason, /handshake/);
    t.regex(down[1]!.reason, /ECONNREFUSED/);
    t.is(accepted.length, 1);
    if (!accepted[0]!.closed) await once(accepted[0]!, 'close');
    t.true(accepted[0]!.closed, 'the prober closed its connection to the silent host');
  } finally {
    await agent.close();
    silent.close();
    for (const socket of accepted) socket.destroy();
  }
});
