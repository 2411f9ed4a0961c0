/**
 * The transport's limit for bench/control-plane: request round trips between
 * two Comedy actors, one at a time, with no project code (the root actor
 * asks an echo child, in-memory or forked, and waits for each reply).
 */
import { createSystem } from 'comedy';

/** An actor that answers each request with its message. Comedy sends its source to a forked child. */
class EchoActor {
  echo(message: unknown): unknown {
    return message;
  }
}

/** Round trips per second to an echo actor in `mode`, over `count` requests after `warmup` unmeasured ones. */
export async function comedyRoundTrips(mode: 'in-memory' | 'forked', count: number, warmup = 1000): Promise<{ roundTrips: number; ms: number }> {
  const system = createSystem({ test: true, config: {} });
  try {
    const root = await system.rootActor();
    const echo = await root.createChild(EchoActor, { mode });
    const message = { splitId: 'source/source-00000', epoch: 1, rows: 1 };
    for (let i = 0; i < warmup; i++) await echo.sendAndReceive('echo', message);
    const started = performance.now();
    for (let i = 0; i < count; i++) await echo.sendAndReceive('echo', message);
    return { roundTrips: count, ms: performance.now() - started };
  } finally {
    await system.destroy();
  }
}
