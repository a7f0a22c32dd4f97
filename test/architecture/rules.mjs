// The layering rules of the package (docs/internals/architecture.md). Arrows only point down:
//   receiver/ cli/ demo/  ->  plugin/ workers/ preload/  ->  sdk/  ->  context/
// and inside sdk/:
//   assembly/  ->  traces/ logs/ metrics/ instrumentations/  ->  export/<protocol>/  ->  export/
//     ->  config/ diagnostics/ lifecycle/ common/ errors.ts
// (a signal uses export/ and the protobuf encoding but no protocol; a protocol uses export/ and
// export/protobuf/, no signal).
// test/unit/architecture.test.mjs checks them on every run of the suite.

const OURS = [/^(context|sdk|plugin|workers|preload|receiver|cli|demo)\//]
/** The bottom of sdk/: settings, diagnostics, lifecycle, data helpers and the coded errors. */
const SDK_BASE = [/^sdk\/(config|diagnostics|lifecycle|common)\//, /^sdk\/errors\.ts$/]
/** What every signal and protocol shares: the queue, the books, the retries, shutdown. */
const EXPORT_CORE = [/^sdk\/export\/[^/]+\.ts$/]
// pino is Fastify's logger: the log bridge that knows its internals is Fastify integration too.
const FASTIFY = [/^fastify$/, /^fastify-plugin$/, /^@fastify\//, /^pino$/]

export const LAYER_FOLDERS = ['context', 'sdk', 'plugin', 'workers', 'preload']

export const RULES = [
  {
    name: 'context-stands-alone',
    from: [/^context\//],
    ours: OURS,
    allowedOurs: [/^context\//],
    why: 'context/ (propagation formats, carriers, scopes) imports nothing of ours outside context/'
  },
  {
    name: 'core-uses-only-context',
    from: [/^sdk\//],
    ours: OURS,
    allowedOurs: [/^(sdk|context)\//],
    why: 'the Fastify-free core in sdk/ imports context/ and nothing else of ours'
  },
  {
    name: 'sdk-base-stands-alone',
    from: [/^sdk\/(config|diagnostics|lifecycle|common)\//],
    ours: OURS,
    allowedOurs: [/^context\//, /^sdk\/errors\.ts$/, /^sdk\/common\//],
    sameFolder: true,
    why: 'config/, diagnostics/, lifecycle/ and common/ are the bottom of sdk/: each imports only itself, common/, ' +
      'errors.ts and context/'
  },
  {
    name: 'export-core-knows-no-protocol',
    from: EXPORT_CORE,
    ours: OURS,
    allowedOurs: [...EXPORT_CORE, ...SDK_BASE, /^context\//],
    why: 'export/ holds what every signal and protocol shares; it knows no protocol and no signal'
  },
  {
    name: 'protocols-apart',
    from: [/^sdk\/export\/(?!protobuf\/)[^/]+\//],
    ours: OURS,
    allowedOurs: [...EXPORT_CORE, /^sdk\/export\/protobuf\//, ...SDK_BASE, /^context\//],
    sameFolder: true,
    why: 'each protocol (export/grpc/, export/http/) uses export/ and the protobuf encoding, ' +
      'never another protocol or a signal'
  },
  {
    name: 'signals-apart',
    from: [/^sdk\/(traces|logs|metrics)\//],
    ours: OURS,
    // export/protobuf/ is the wire format, not a protocol: a signal writes its own OTLP messages.
    allowedOurs: [...EXPORT_CORE, /^sdk\/export\/protobuf\//, ...SDK_BASE, /^context\//],
    sameFolder: true,
    why: 'traces/, logs/ and metrics/ use export/, the protobuf encoding and the base, never each other or a ' +
      'protocol: assembly/ joins them'
  },
  {
    name: 'assembly-on-top',
    from: [/^sdk\/(?!assembly\/)/],
    forbidden: [/^sdk\/assembly\//],
    why: 'assembly/ puts the SDK together from everything below it; nothing below imports it'
  },
  {
    name: 'plugin-uses-core-and-context',
    from: [/^plugin\//],
    ours: OURS,
    allowedOurs: [/^(plugin|sdk|context)\//],
    why: 'plugin/ is the Fastify integration on top of sdk/ and context/'
  },
  {
    name: 'workers-use-core-and-context',
    from: [/^workers\//],
    ours: OURS,
    allowedOurs: [/^(workers|sdk|context)\//],
    why: 'workers/ is the Piscina integration on top of sdk/ and context/'
  },
  {
    name: 'preload-uses-core-and-context',
    from: [/^preload\//],
    ours: OURS,
    allowedOurs: [/^(preload|sdk|context)\//],
    why: 'the preload entry sets the SDK up from sdk/ and context/ before the application loads'
  },
  {
    name: 'preload-never-loads-fastify',
    from: [/^preload\//],
    unreachable: [/^plugin\//, ...FASTIFY],
    why: 'the preload runs before the application: loading fastify there would hide it from the instrumentations'
  },
  {
    name: 'worker-side-apart-from-main-side',
    from: [/^workers\/worker\//],
    forbidden: [/^workers\/main\//],
    why: 'the worker side shares only workers/protocol/ with the main side'
  },
  {
    name: 'main-side-apart-from-worker-side',
    from: [/^workers\/main\//],
    forbidden: [/^workers\/worker\//],
    why: 'the main side shares only workers/protocol/ with the worker side'
  },
  {
    name: 'protocol-belongs-to-neither-side',
    from: [/^workers\/protocol\//],
    forbidden: [/^workers\/(main|worker)\//],
    why: 'the message format is shared by both sides and depends on neither'
  },
  {
    name: 'only-plugin-imports-fastify',
    from: [/^(context|sdk|workers|preload)\//],
    forbidden: FASTIFY,
    why: 'only plugin/ may import fastify (or pino, its logger): ' +
      'the rest is loaded where Fastify is not (worker threads, the preload entry)'
  },
  {
    name: 'worker-thread-never-loads-fastify',
    from: [/^workers\/worker\//],
    unreachable: [/^plugin\//, ...FASTIFY],
    why: 'the files a worker thread loads must never reach plugin/ or fastify, through any chain of imports'
  }
]
