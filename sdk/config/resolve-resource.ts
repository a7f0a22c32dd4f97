import type { Attributes, AttributeValue } from '@opentelemetry/api'
import { DEFAULT_SERVICE_NAME } from './defaults.js'
import { parseKeyValueList, readEnv, skippedMembersWarning } from './env-values.js'
import type { ResolvedSdkConfig, SdkOptions, Setting } from './options.js'
import type { Resolver } from './resolver.js'
import { optionalAttributes, optionalString } from './validate.js'

const SERVICE_NAME = 'service.name'
const SERVICE_VERSION = 'service.version'
const DEPLOYMENT_ENVIRONMENT = 'deployment.environment.name'

/** Keys with an option (and a variable) of their own: they never come from resourceAttributes. */
const DEDICATED_RESOURCE_KEYS = [SERVICE_NAME, SERVICE_VERSION, DEPLOYMENT_ENVIRONMENT]

/**
 * The service identity: serviceName, serviceVersion, deploymentEnvironment and the other resource
 * attributes, from options, OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME.
 */
export function resolveResource (
  r: Resolver,
  options: SdkOptions
): Pick<ResolvedSdkConfig, 'serviceName' | 'serviceVersion' | 'deploymentEnvironment' | 'resourceAttributes'> {
  const optionAttributes = optionalAttributes('resourceAttributes', options.resourceAttributes) ?? {}
  const serviceNameOption =
    optionalString('serviceName', options.serviceName) ?? stringAttribute(optionAttributes[SERVICE_NAME])
  const versionOption =
    optionalString('serviceVersion', options.serviceVersion) ?? stringAttribute(optionAttributes[SERVICE_VERSION])
  const environmentOption =
    optionalString('deploymentEnvironment', options.deploymentEnvironment) ??
    stringAttribute(optionAttributes[DEPLOYMENT_ENVIRONMENT])

  let envAttributes: Record<string, string> = {}
  const rawAttributes = readEnv(r.env, 'OTEL_RESOURCE_ATTRIBUTES')
  if (rawAttributes !== undefined) {
    // Member by member, as for the exporter headers: a bad member is skipped, the rest applies.
    const parsed = parseKeyValueList(rawAttributes)
    if (parsed.skipped.length > 0) r.warnings.push(skippedMembersWarning('OTEL_RESOURCE_ATTRIBUTES', parsed))
    envAttributes = Object.fromEntries(parsed.entries)
  }

  // A Map, so that any key the variable may hold (`__proto__` included) is applied as it says.
  const merged = new Map(Object.entries(optionAttributes))
  let envContributed = false
  for (const [key, value] of Object.entries(envAttributes)) {
    if (DEDICATED_RESOURCE_KEYS.includes(key)) continue
    envContributed = true
    const previous = merged.get(key)
    if (previous !== undefined && String(previous) !== value) {
      r.warnings.push(
        `OTEL_RESOURCE_ATTRIBUTES overrides option resourceAttributes["${key}"]: using ${JSON.stringify(value)} ` +
          `from the environment instead of ${JSON.stringify(previous)} from the plugin options.`
      )
    }
    merged.set(key, value)
  }
  for (const key of DEDICATED_RESOURCE_KEYS) merged.delete(key)
  const attributes: Attributes = Object.fromEntries(merged)
  const resourceAttributes: Setting<Attributes> = envContributed
    ? { value: attributes, source: 'env', env: 'OTEL_RESOURCE_ATTRIBUTES' }
    : { value: attributes, source: options.resourceAttributes === undefined ? 'default' : 'options' }

  const inAttributes = (key: string): { name: string; value: string } | undefined =>
    envAttributes[key] === undefined || envAttributes[key] === ''
      ? undefined
      : { name: 'OTEL_RESOURCE_ATTRIBUTES', value: envAttributes[key] }
  // OTEL_SERVICE_NAME wins over a service.name inside OTEL_RESOURCE_ATTRIBUTES (specification).
  const envServiceName = readEnv(r.env, 'OTEL_SERVICE_NAME')
  const serviceName = r.decide(
    'serviceName',
    serviceNameOption,
    envServiceName !== undefined ? { name: 'OTEL_SERVICE_NAME', value: envServiceName } : inAttributes(SERVICE_NAME),
    DEFAULT_SERVICE_NAME
  )
  if (serviceName.source === 'default') {
    r.warnings.push(
      'No service name is set (option serviceName or OTEL_SERVICE_NAME): ' +
        `spans will be reported as "${DEFAULT_SERVICE_NAME}".`
    )
  }
  const serviceVersion = r.decide<string | undefined>(
    'serviceVersion',
    versionOption,
    inAttributes(SERVICE_VERSION),
    undefined
  )
  const deploymentEnvironment = r.decide<string | undefined>(
    'deploymentEnvironment',
    environmentOption,
    inAttributes(DEPLOYMENT_ENVIRONMENT),
    undefined
  )
  return { serviceName, serviceVersion, deploymentEnvironment, resourceAttributes }
}

function stringAttribute (value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
