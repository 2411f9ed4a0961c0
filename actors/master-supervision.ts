import type { Logger } from '../lib/logger.js';
import { describeExit, type ActorExit } from '../lib/errors/index.js';
import type { Pingable } from '../protocol/actor-apis.js';
import type { ChildActor } from '../protocol/actor-link.js';
import { watchSilence, type Heartbeats } from './heartbeats.js';

/**
 * Watches a master in a thread, process or host of its own (the MetaService
 * its masters, the runner the MetaService): when it ends, or after it has
 * answered no heartbeat for `timeoutMs` and been killed for it, `onLost` is
 * called once with how it ended ("(pid 12) answered no heartbeat for 3.1 s
 * and was killed"). Returns the heartbeats, to stop when the masters end
 * with the attempt; undefined for a master in this process, which shares
 * its fate.
 */
export function superviseMaster(
  master: ChildActor<Pingable>, timeoutMs: number, log: Logger, onLost: (how: string, exit: ActorExit) => void,
): Heartbeats | undefined {
  let killedBecause: string | undefined;
  let heartbeats: Heartbeats | undefined;
  const watched = master.watchLoss((exit) => {
    heartbeats?.stop();
    onLost(describeExit(exit, killedBecause), exit);
  });
  if (!watched) return undefined;
  heartbeats = watchSilence(master, timeoutMs, (reason, silentMs) => {
    killedBecause = reason;
    log.warn({ silentMs }, 'master answers no heartbeat; killing it');
    master.kill().catch((error: unknown) => log.error({ err: error }, 'could not kill a hung master'));
  });
  return heartbeats;
}
