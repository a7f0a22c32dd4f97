/**
 * `node --import fastify-otel-kit/register app.mjs`: OpenTelemetry set up before the application
 * loads, ES modules included. Order matters (import-in-the-middle's documented sequence): the
 * loader hook with its message channel first, then the instrumentations (each one posts the
 * modules it patches to the hook), then waiting until the hook has them all. Node runs the
 * application only after this module's top-level await settles.
 */
import { createRequire, register } from 'node:module'
import { isMainThread } from 'node:worker_threads'

const require = createRequire(import.meta.url)
// Checked first: what this entry loads itself (http among it) does not count.
const { loadedEarly } = require('../sdk/instrumentations/loaded-early.js') as typeof import('../sdk/instrumentations/loaded-early.js')
const early = loadedEarly(['fastify', 'http', 'https', 'undici'])
// Worker threads run preloads too; the package's worker side has its own setup. With
// OTEL_SDK_DISABLED nothing is set up (the plugin then runs untraced, as it would anyway).
if (isMainThread && process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') {
  // The hook and the channel must come from the import-in-the-middle copy that
  // @opentelemetry/instrumentation uses: its hooks are registered in that copy's module state.
  const fromInstrumentation = createRequire(require.resolve('@opentelemetry/instrumentation'))
  const { createAddHookMessageChannel } = fromInstrumentation('import-in-the-middle') as {
    createAddHookMessageChannel: () => { registerOptions: object, waitForAllMessagesAcknowledged: () => Promise<void> }
  }
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions)
  const { startPreload } = require('./start.js') as typeof import('./start.js')
  startPreload(early)
  await waitForAllMessagesAcknowledged()
}
