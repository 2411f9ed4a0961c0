/**
 * The layers of the code base, checked by `npm test` (see docs/architecture.md):
 * no import cycle, type-only imports included, and lib/ (the user API and its
 * plain types) imports nothing above it. lib/index.ts is the package's entry,
 * a facade that re-exports every layer; nothing inside the package imports it.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-is-the-bottom-layer',
      comment: 'lib/ is the user API and plain types: it may not import the runtime, actors, data plane, state, cluster, operators or CLI.',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/index\\.ts$' },
      to: { path: '^(actors|runtime|dataplane|state|cluster|comedy-adapter|operators|formats|protocol|bin|workflows)/' },
    },
    {
      name: 'cluster-on-lib-only',
      comment: 'cluster/ reads cluster.json, places actors on hosts and authenticates sockets with the cluster secret: plain code over lib/, with no actor transport.',
      severity: 'error',
      from: { path: '^cluster/' },
      to: { path: '^(actors|runtime|dataplane|state|comedy-adapter|operators|formats|protocol|bin|workflows)/' },
    },
    {
      name: 'formats-on-lib-only',
      comment: 'A file format reads and writes files of Arrow data: it needs the user API types and nothing above them.',
      severity: 'error',
      from: { path: '^formats/' },
      to: { path: '^(actors|runtime|dataplane|state|cluster|operators|protocol|bin|workflows)/' },
    },
    {
      name: 'state-on-lib-only',
      comment: 'State backends and the checkpoint store keep bytes under keys: they need the user API types and nothing above them.',
      severity: 'error',
      from: { path: '^state/' },
      to: { path: '^(actors|runtime|dataplane|cluster|operators|formats|protocol|bin|workflows)/' },
    },
    {
      name: 'dataplane-below-protocol',
      comment: 'The data plane moves payloads, authenticated with the cluster secret (cluster/); the protocol refers to them.',
      severity: 'error',
      from: { path: '^dataplane/' },
      to: { path: '^(actors|runtime|state|comedy-adapter|operators|formats|protocol|bin|workflows)/' },
    },
    {
      name: 'protocol-below-actors',
      comment: 'The messages between actors and what they report: plain JSON types over lib/, state/ and dataplane/ types, below every actor.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(actors|runtime|cluster|comedy-adapter|operators|formats|bin|workflows)/' },
    },
    {
      name: 'comedy-adapter-below-actors',
      comment: 'The Comedy adapter carries the protocol between actors: it knows lib/, cluster/ and protocol/, never the actors it carries.',
      severity: 'error',
      from: { path: '^comedy-adapter/' },
      to: { path: '^(actors|runtime|dataplane|state|operators|formats|bin|workflows)/' },
    },
    {
      name: 'comedy-only-in-its-adapter',
      comment: 'Only comedy-adapter/ imports Comedy or its Bluebird: the rest of the code sees the protocol\'s links. Tests may, as an outside client speaking Comedy\'s wire protocol to a host agent; so may bench/comedy-round-trips.ts, which measures the bare transport as the limit of bench/control-plane.',
      severity: 'error',
      from: { pathNot: '^(comedy-adapter|test)/|^bench/comedy-round-trips\\.ts$' },
      to: { path: '(^|/)node_modules/(comedy|bluebird)/' },
    },
    {
      name: 'comedy-adapter-through-its-entry',
      comment: 'Outside the adapter, comedy-adapter/index.ts is its only module one may import.',
      severity: 'error',
      from: { pathNot: '^comedy-adapter/' },
      to: { path: '^comedy-adapter/', pathNot: '^comedy-adapter/index\\.ts$' },
    },
    {
      name: 'no-facade-inside',
      comment: 'The package entry is for users (and tests, workflows, benchmarks), not for the package\'s own modules.',
      severity: 'error',
      from: { path: '^(lib|actors|runtime|dataplane|state|cluster|comedy-adapter|operators|formats|protocol|bin)/' },
      to: { path: '^lib/index\\.ts$' },
    },
    {
      name: 'cli-on-top',
      comment: 'Only the CLI imports the CLI.',
      severity: 'error',
      from: { pathNot: '^(bin|test|bench)/' },
      to: { path: '^bin/' },
    },
    {
      name: 'examples-through-the-entry',
      comment: 'An example uses the package as a user does: through its entry, lib/index.ts, and nothing else of the package.',
      severity: 'error',
      from: { path: '^examples/' },
      to: { path: '^(lib|actors|runtime|dataplane|state|cluster|comedy-adapter|operators|formats|protocol|bin|workflows|bench|test)/', pathNot: '^lib/index\\.ts$' },
    },
    {
      name: 'examples-on-top',
      comment: 'Only tests import an example, to drive it as its users would.',
      severity: 'error',
      from: { pathNot: '^(examples|test)/' },
      to: { path: '^examples/' },
    },
    {
      name: 'examples-apart',
      comment: 'Each example stands alone: it imports none of the others.',
      severity: 'error',
      from: { path: '^examples/([^/]+)/' },
      to: { path: '^examples/', pathNot: '^examples/$1/' },
    },
    {
      name: 'actors-below-runtime',
      comment: 'The runtime (the runner) drives the actors; the actors never reach back into it.',
      severity: 'error',
      from: { path: '^(actors|dataplane|state|cluster|comedy-adapter|operators|formats|protocol)/' },
      to: { path: '^runtime/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
  },
};
