// The import directions of the house rules (docs/ARCHITECTURE.md), checked by `npm test`
// (scripts/test.mjs, step "import boundaries"): a violation fails the run.
//   npx depcruise --config .dependency-cruiser.cjs packages bench
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-nothing-of-ours',
      comment: 'The protocol is the shared vocabulary: it depends on no other package or folder of the project.',
      severity: 'error',
      from: { path: '^packages/protocol/src/' },
      to: { path: '^(packages/(client|server|web)|bench)/' },
    },
    {
      name: 'client-imports-only-protocol',
      comment: 'The client SDK runs in browsers and in Node: of our code it may use the protocol only.',
      severity: 'error',
      from: { path: '^packages/client/src/' },
      to: { path: '^(packages/(server|web)|bench)/' },
    },
    {
      name: 'web-never-imports-server',
      comment: 'The web app talks to the server through the client and the protocol only.',
      severity: 'error',
      from: { path: '^packages/web/src/' },
      to: { path: '^(packages/server|bench)/' },
    },
    {
      name: 'server-infrastructure-imports-no-other-concern',
      comment:
        'store/, bus/, kv/ and config/ are infrastructure the rest of the server is built on: besides their own folder they may ' +
        'use logging/ and the shared leaf modules at the top of src/ (not the composition roots app.ts and agent-services.ts).',
      severity: 'error',
      from: { path: '^packages/server/src/(store|bus|kv|config)/' },
      to: {
        path: '^packages/server/src/',
        pathNot: ['^packages/server/src/$1/', '^packages/server/src/logging/', '^packages/server/src/(?!app\\.ts$|agent-services\\.ts$)[^/]+\\.ts$'],
      },
    },
    {
      name: 'no-circular',
      comment:
        'No module imports itself through others (none does today). Cycles between folders of the server are not ' +
        'checked here: the ones left are listed in the issue 14 closing note.',
      severity: 'error',
      from: { path: '^(packages|bench)/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing would hide a dependency from the rules above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    // `@tally/protocol` and `@tally/client` resolve through the workspace links to the packages' sources.
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
