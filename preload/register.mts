/**
 * `node --import fastify-otel-kit/register app.mjs`: OpenTelemetry set up before the application
 * loads, ES modules included. The module hook that lets instrumentations patch `import`s comes
 * first, then the instrumentations; Node runs the application only after this module's top-level
 * await settles.
 *
 * The hook is import-in-the-middle's, in the form each Node line prefers: the synchronous
 * in-thread hooks (`module.registerHooks`) where Node's are complete enough for it (22.22.3+,
 * 24.11.1+, 26), else the off-thread loader (`module.register`, deprecated from Node 26 on), whose
 * instrumentations must each post the modules they patch to the hook before the application runs.
 */
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'
import { isMainThread } from 'node:worker_threads'

const require = createRequire(import.meta.url)
// Checked first: what this entry loads itself (http among it) does not count.
const { loadedEarly } =
  require('../sdk/instrumentations/loaded-early.js') as typeof import('../sdk/instrumentations/loaded-early.js')
const early = loadedEarly(['fastify', 'http', 'https', 'undici'])
// Worker threads run preloads too; the package's worker side has its own setup. With
// OTEL_SDK_DISABLED nothing is set up (the plugin then runs untraced, as it would anyway); with a
// configuration file, the file says whether the SDK is disabled, and the variable is ignored.
const fileNamed = ['OTEL_CONFIG_FILE', 'OTEL_EXPERIMENTAL_CONFIG_FILE'].some((name) => process.env[name]?.trim())
if (isMainThread && (fileNamed || process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true')) {
  // The hook must come from the import-in-the-middle copy that @opentelemetry/instrumentation
  // uses: the instrumentations register their modules in that copy's module state.
  const fromInstrumentation = createRequire(require.resolve('@opentelemetry/instrumentation'))
  const hooks = (await import(
    pathToFileURL(fromInstrumentation.resolve('import-in-the-middle/register-hooks.mjs')).href
  )) as {
    supportsSyncHooks: () => boolean
    register: (options?: object) => void
  }
  const { startPreload } = require('./start.js') as typeof import('./start.js')
  if (hooks.supportsSyncHooks()) {
    // Only the modules the instrumentations patch go through the hook, as with the loader below.
    const patched = startPreload(early)
    hooks.register({ include: patched })
  } else {
    const { createAddHookMessageChannel } = fromInstrumentation('import-in-the-middle') as {
      createAddHookMessageChannel: () => {
        registerOptions: object
        waitForAllMessagesAcknowledged: () => Promise<void>
      }
    }
    const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions)
    startPreload(early)
    await waitForAllMessagesAcknowledged()
  }
}
