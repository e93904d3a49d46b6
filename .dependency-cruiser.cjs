// The layering of src/ (docs/architecture in README "Development", /work style: "a stage
// imports only from earlier stages"): each folder is a stage, and a module may import only
// from its own stage and from earlier ones. Checked by `npm test` (test/core/layers.test.ts,
// `npx depcruise --config .dependency-cruiser.cjs src`).
//
// The order, earliest first. diagnostics, model and text are the shared bottom (the finding
// type, the IR, pure string helpers such as DN escaping); pipeline.ts composes
// load -> validate -> normalize; dns derives a domain's records (MX, SPF, DMARC) from the
// model and the routing stage's entry points, for the rules and the dns target alike;
// dns-check and deploy work on what compile produces; probe asks the routing stage what a
// live system should answer; init and import write YAML for the front of the pipeline and
// come after every stage they reuse; cli is a thin function over all of them; index.ts is
// the public API.
const LAYERS = [
  'diagnostics',
  'model',
  'text',
  'load',
  'validate',
  'normalize',
  'pipeline.ts',
  'routing',
  'dns',
  'analyze',
  'compile',
  'dns-check',
  'deploy',
  'route',
  'relay',
  'probe',
  'init',
  'import',
  'cli',
  'index.ts',
];

/** `^src/(a|b)(/|$)`: the modules of the given layers. */
const under = (names) => `^src/(${names.map((n) => n.replace(/\./g, '\\.')).join('|')})(/|$)`;

/** One rule per layer: nothing in it imports a later layer. */
const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-import-from-${layer.replace(/\.ts$/, '')}`,
  comment: `${layer} is stage ${i + 1} of src/: it may import only from ${LAYERS.slice(0, i).join(', ') || 'no other stage'} (.dependency-cruiser.cjs LAYERS)`,
  severity: 'error',
  from: { path: under([layer]) },
  to: { path: under(LAYERS.slice(i + 1)) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-cycle',
      comment: 'modules that import each other (through any chain): across folders one of them is a later stage; within a folder, split the shared part out',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unknown-stage',
      comment: 'a new folder of src/ needs its place in LAYERS of .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: under(LAYERS) },
      to: {},
    },
    {
      name: 'no-command-as-library',
      comment: 'a command does not import another command: shared helpers go in src/cli/ (e.g. src/cli/routable.ts)',
      severity: 'error',
      from: { path: '^src/cli/commands/([^/.]+)[^/]*\\.ts$', pathNot: '^src/cli/commands/index\\.ts$' },
      to: { path: '^src/cli/commands/', pathNot: ['^src/cli/commands/$1', '^src/cli/commands/synopses\\.ts$'] },
    },
  ],
  options: {
    // the unit tests beside the code may use the test support of any stage
    exclude: { path: '(\\.test\\.ts$|\\.generated\\.ts$|^node_modules)' },
    doNotFollow: { path: '^node_modules' },
    tsPreCompilationDeps: true,
    moduleSystems: ['es6'],
  },
};
