/**
 * The layering, checked by `npm run lint` (docs/architecture.md, "Layers"; docs/development.md).
 *
 * - server/db/ holds mechanisms (ORM setup, entities, migrations, the write transaction, the read
 *   lane): it imports only itself, the contract's schemas (client-sdk/src/schemas/, for the types
 *   its columns hold) and a few leaf utilities. Every other server/ folder is a feature, identity
 *   included (who is calling is the auth feature's concern, not the database's).
 * - Services (every file in a feature folder except its *.router.ts) know no wire: they import
 *   neither server/trpc/ nor server/http/.
 * - The SDK and the web console run outside the server: they import no server/ code, only the
 *   router's type (`import type { AppRouter }` from server/trpc/root.ts), as tRPC clients do.
 * - No import cycles (type-only imports excepted: they vanish at run time).
 */
const DB_MAY_IMPORT = [
  '^server/db/',
  '^client-sdk/src/schemas/',
  // Leaf utilities: they import no feature.
  '^server/(clock|config|errors|paths|version)[.]ts$',
  '^server/ops/private-files[.]ts$',
  // The tracing configuration config.ts reads (no feature code).
  '^server/tracing/tracing-config[.]ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'db-imports-no-feature',
      comment: 'server/db/ holds mechanisms only: features give it their work (hooks, registered statements), it never reaches into them.',
      severity: 'error',
      from: { path: '^server/db/', pathNot: '^server/db/migrations/' },
      to: { path: '^server/', pathNot: DB_MAY_IMPORT },
    },
    {
      name: 'migrations-backfill-only',
      comment:
        "A data migration must compute exactly what today's writers compute (search folding), so migrations may call a feature's back-fill module; nothing else of a feature.",
      severity: 'error',
      from: { path: '^server/db/migrations/' },
      to: { path: '^server/', pathNot: [DB_MAY_IMPORT, '^server/[^/]+/backfill[.]ts$'].flat() },
    },
    {
      name: 'services-know-no-wire',
      comment:
        'Services are called by tRPC, REST, scripts and tests alike: only routers (*.router.ts) and the wire folders import server/trpc/ or server/http/.',
      severity: 'error',
      from: { path: '^server/[^/]+/', pathNot: ['^server/(trpc|http)/', '[.]router[.]ts$'] },
      to: { path: '^server/(trpc|http)/' },
    },
    {
      name: 'clients-import-no-server',
      comment: 'The SDK and the console are shipped to users and browsers: no server code runs in them.',
      severity: 'error',
      from: { path: '^(client-sdk|console)/' },
      to: { path: '^server/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'clients-see-only-the-router-type',
      comment: "tRPC's way: a client knows the server's router by its type (erased at build; bundled into the SDK's .d.ts), nothing else of the server.",
      severity: 'error',
      from: { path: '^(client-sdk|console)/' },
      to: { path: '^server/', pathNot: '^server/trpc/root[.]ts$', dependencyTypes: ['type-only'] },
    },
    {
      name: 'no-cycles',
      comment: 'An import cycle makes load order matter and layers meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    includeOnly: '^(server|client-sdk|console|scripts|test)/',
    exclude: { path: '(^|/)(node_modules|dist)/' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
