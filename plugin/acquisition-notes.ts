import type { FastifyBaseLogger } from 'fastify'
import { PACKAGE_NAME } from '../context/instrumentation-scope.js'
import type { Acquired } from '../sdk/assembly/registration.js'
import { reportConfigWarnings } from '../sdk/assembly/config-notices.js'
import { type ConfigResolution, SDK_OPTION_KEYS } from '../sdk/config/resolve-config.js'
import { readEnv } from '../sdk/config/env-values.js'
import type { Warnings } from '../sdk/diagnostics/warnings.js'
import type { ResolvedConfig } from './options.js'

/**
 * Says how this registration got its SDK, when that changes what the options do: a shared SDK
 * (an earlier registration's, or the preload entry's from the environment) does not take this
 * registration's SDK options.
 */
export function noteAcquisition (
  acquired: Acquired<ResolvedConfig>,
  options: object | undefined,
  configWarnings: Pick<ConfigResolution, 'warnings' | 'codedWarnings'>,
  log: FastifyBaseLogger,
  warnings: Warnings
): void {
  if (acquired.how === 'assembled') {
    reportConfigWarnings(configWarnings, warnings)
  } else if (acquired.how === 'shared' && acquired.assembledBy === 'preload') {
    const given = Object.keys(options ?? {}).filter(
      (key) => SDK_OPTION_KEYS.includes(key) && key !== 'extractOnly' && key !== 'shutdownTimeoutMillis'
    )
    if (given.length > 0) {
      warnings.warn(
        'FOK_WARN_CONFIG',
        `option${given.length === 1 ? '' : 's'} ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} ` +
          'not applied: the SDK was set up from the environment by the preload entry (fastify-otel-kit/register) ' +
          'before the application loaded. Set the OTEL_* variables instead (docs/guides/preload.md).'
      )
    }
  } else if (acquired.how === 'shared') {
    log.info(
      `${PACKAGE_NAME}: reusing the OpenTelemetry SDK set up by an earlier registration in this process; ` +
        "this instance's resource, sampler, exporter, batch and propagator options are not applied."
    )
  } else if (acquired.how === 'disabled') {
    log.info(`${PACKAGE_NAME}: OTEL_SDK_DISABLED=true; tracing is off and request.otel is a no-op.`)
  }
  if (acquired.assembledBy === 'plugin' && readEnv(process.env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS') !== undefined) {
    warnings.warn(
      'FOK_WARN_LATE_START',
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS is set, but only the preload entry enables instrumentations ' +
        'from the environment, and it is not in use: start the process with ' +
        '`node --import fastify-otel-kit/register` (or pass the option instrumentations).'
    )
  }
}
