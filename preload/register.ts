/**
 * `node --require fastify-otel-kit/register app.js`: OpenTelemetry set up before a CommonJS
 * application loads (instrumentations patch modules through require). For ES modules use
 * `--import`, which also installs the loader hook that lets instrumentations patch `import`s.
 */
import { loadedEarly } from '../sdk/instrumentations/loaded-early.js'

// Checked first: what this entry loads itself (http among it) does not count.
const early = loadedEarly(['fastify', 'http', 'https', 'undici'])
;(require('./start.js') as typeof import('./start.js')).startPreload(early)
