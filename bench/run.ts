/** `npm run bench -- NAME [args]`: runs one benchmark; its last line is `NAME ratio=X`. */
import { runAutoscaleBenchmark } from './autoscale.js';
import { runCheckpointBenchmark } from './checkpoint.js';
import { runControlPlaneBenchmark } from './control-plane.js';
import { runDataplaneBenchmark } from './dataplane.js';
import { runEtlBenchmark } from './etl.js';
import { runPeersBenchmark } from './peers.js';
import { runRecoveryBenchmark } from './recovery.js';
import { runScalingBenchmark } from './scaling.js';
import { runSupervisionBenchmark } from './supervision.js';

const benchmarks: Record<string, (args: string[]) => Promise<number>> = {
  etl: runEtlBenchmark,
  checkpoint: runCheckpointBenchmark,
  dataplane: runDataplaneBenchmark,
  scaling: runScalingBenchmark,
  supervision: runSupervisionBenchmark,
  peers: runPeersBenchmark,
  'control-plane': runControlPlaneBenchmark,
  recovery: runRecoveryBenchmark,
  autoscale: runAutoscaleBenchmark,
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? benchmarks[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <name> [args]; benchmarks: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
await bench(args);
