import type { FastifyBaseLogger } from 'fastify'
import { PACKAGE_NAME } from '../context/instrumentation-scope.js'
import type { Acquired } from '../sdk/assembly/registration.js'
import { reportConfigWarnings } from '../sdk/assembly/config-notices.js'
import { optionsDifferingFromShared } from '../sdk/assembly/shared-sdk-options.js'
import { ignoredVariablesWarning } from '../sdk/config/env-inventory.js'
import { type ConfigResolution, SDK_OPTION_KEYS } from '../sdk/config/resolve-config.js'
import { readEnv } from '../sdk/config/env-values.js'
import type { Warnings } from '../sdk/diagnostics/warnings.js'
import type { ResolvedConfig } from './options.js'

/** The options that make the service's identity: under the preload they still apply, until the first export. */
const IDENTITY_KEYS = ['serviceName', 'serviceVersion', 'deploymentEnvironment', 'resourceAttributes']

/** What to set instead of each SDK option, when the SDK was set up from the environment. */
const INSTEAD: Readonly<Record<string, string>> = {
  serviceName: 'OTEL_SERVICE_NAME',
  serviceVersion: 'OTEL_RESOURCE_ATTRIBUTES (service.version=...)',
  deploymentEnvironment: 'OTEL_RESOURCE_ATTRIBUTES (deployment.environment.name=...)',
  resourceAttributes: 'OTEL_RESOURCE_ATTRIBUTES',
  sampler: 'OTEL_TRACES_SAMPLER',
  samplingRatio: 'OTEL_TRACES_SAMPLER_ARG',
  exporter: 'OTEL_EXPORTER_OTLP_*',
  batch: 'OTEL_BSP_*',
  propagators: 'OTEL_PROPAGATORS',
  propagator: 'OTEL_PROPAGATORS',
  attributeValueLengthLimit: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  logs: 'OTEL_LOGS_EXPORTER and OTEL_BLRP_*',
  spanProcessors: 'nothing (span processors of your own need an SDK the plugin assembles: start without the preload)'
}

/** An override of one of the identity options: the plugin's resolution says it, the preload's cannot. */
const IDENTITY_OVERRIDE = / overrides option (serviceName|serviceVersion|deploymentEnvironment|resourceAttributes)\b/

/**
 * Says how this registration got its SDK, when that changes what the options do: a shared SDK
 * (an earlier registration's, or the preload entry's from the environment) does not take this
 * registration's SDK options, except the service's identity, which the preload keeps open for
 * the first registration (sdk/assembly/pending-identity.ts).
 */
export function noteAcquisition (
  acquired: Acquired<ResolvedConfig>,
  options: object | undefined,
  resolution: ConfigResolution<ResolvedConfig>,
  log: FastifyBaseLogger,
  warnings: Warnings
): void {
  if (acquired.how === 'assembled') {
    reportConfigWarnings(resolution, warnings)
    const ignored = ignoredVariablesWarning(resolution.ignoredEnv)
    if (ignored !== undefined) warnings.warn('FOK_WARN_ENV_IGNORED', ignored)
  } else if (acquired.how === 'shared' && acquired.assembledBy === 'preload') {
    noteUnderPreload(acquired, options, resolution, warnings)
  } else if (acquired.how === 'shared') {
    log.info(
      `${PACKAGE_NAME}: reusing the OpenTelemetry SDK set up by an earlier registration in this process; ` +
        "this instance's resource, sampler, exporter, batch and propagator options are not applied."
    )
    const shared = acquired.sharedResolution
    const unapplied = shared === undefined ? [] : optionsDifferingFromShared(options, resolution, shared)
    if (unapplied.length > 0) {
      // A warning, not only the line above, which a service logging at warn never sees: a second
      // exporter or sampler would otherwise be believed in force.
      warnings.warn(
        'FOK_WARN_CONFIG',
        `option${unapplied.length === 1 ? '' : 's'} ${unapplied.join(', ')} ${unapplied.length === 1 ? 'is' : 'are'} ` +
          'not applied: an earlier registration of the plugin in this process set up the OpenTelemetry SDK ' +
          'with other values, and every registration shares that SDK (its providers are global). Give every ' +
          'registration the same options, or register the plugin once, on the root instance.'
      )
    }
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

/**
 * Under the preload: the identity options take effect if nothing was exported yet (with the
 * environment's precedence, and its override warnings); every other SDK option, and the identity
 * ones when it is too late, is named in one message with what to set instead.
 */
function noteUnderPreload (
  acquired: Acquired<ResolvedConfig>,
  options: object | undefined,
  resolution: ConfigResolution<ResolvedConfig>,
  warnings: Warnings
): void {
  const { config } = resolution
  const applied = acquired.settleIdentity?.(config) ?? false
  if (applied) {
    for (const warning of resolution.warnings) {
      if (IDENTITY_OVERRIDE.test(warning)) warnings.warn('FOK_WARN_CONFIG', warning)
    }
    if (config.serviceName.source === 'default') {
      const where = config.configFile.value === undefined ? 'OTEL_SERVICE_NAME' : 'the configuration file'
      warnings.warn(
        'FOK_WARN_CONFIG',
        `No service name is set (option serviceName or ${where}): ` +
          `spans and log records will be reported as "${config.serviceName.value}".`
      )
    }
  }
  const given = Object.keys(options ?? {}).filter(
    (key) =>
      SDK_OPTION_KEYS.includes(key) &&
      key !== 'extractOnly' &&
      key !== 'shutdownTimeoutMillis' &&
      !(applied && IDENTITY_KEYS.includes(key))
  )
  if (given.length === 0) return
  const file = config.configFile.value
  const why = applied
    ? 'the SDK was set up by the preload entry (fastify-otel-kit/register) before the application loaded'
    : 'the SDK was set up by the preload entry (fastify-otel-kit/register) before the application loaded, and it ' +
      'had exported telemetry before this registration, so its identity could not change any more'
  const instead =
    file !== undefined
      ? `Set ${given.length === 1 ? 'it' : 'them'} in the configuration file (${file}) instead`
      : `Set ${given.map((key) => INSTEAD[key] ?? key).join(', ')} instead`
  warnings.warn(
    'FOK_WARN_CONFIG',
    `option${given.length === 1 ? '' : 's'} ${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} not applied: ` +
      `${why}. ${instead} (docs/guides/preload.md).`
  )
}
