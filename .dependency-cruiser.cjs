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
      to: { path: '^(actors|runtime|dataplane|state|cluster|operators|formats|protocol|bin|workflows)/' },
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
      comment: 'The data plane moves payloads; the protocol refers to them. cluster/ is allowed for its secret and socket handshakes until it is split.',
      severity: 'error',
      from: { path: '^dataplane/' },
      to: { path: '^(actors|runtime|state|operators|formats|protocol|bin|workflows)/' },
    },
    {
      name: 'protocol-below-actors',
      comment: 'The messages between actors and what they report: plain JSON types over lib/, state/ and dataplane/ types, below every actor.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { path: '^(actors|runtime|cluster|operators|formats|bin|workflows)/' },
    },
    {
      name: 'no-facade-inside',
      comment: 'The package entry is for users (and tests, workflows, benchmarks), not for the package\'s own modules.',
      severity: 'error',
      from: { path: '^(lib|actors|runtime|dataplane|state|cluster|operators|formats|protocol|bin)/' },
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
      name: 'actors-below-runtime',
      comment: 'The runtime (the runner) drives the actors; the actors never reach back into it.',
      severity: 'error',
      from: { path: '^(actors|dataplane|state|cluster|operators|formats|protocol)/' },
      to: { path: '^runtime/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
