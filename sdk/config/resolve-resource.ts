import type { Attributes, AttributeValue } from '@opentelemetry/api'
import { DEFAULT_SERVICE_NAME } from './defaults.js'
import { parseKeyValueList, readEnv, skippedMembersWarning } from './env-values.js'
import type { ResolvedSdkConfig, SdkOptions, Setting } from './options.js'
import { fileLabel, type Resolver } from './resolver.js'
import { optionalAttributes, optionalString } from './validate.js'

const SERVICE_NAME = 'service.name'
const SERVICE_VERSION = 'service.version'
const DEPLOYMENT_ENVIRONMENT = 'deployment.environment.name'

/**
 * Given when no service name is set anywhere. The preload, which runs before the plugin's options
 * are known, gives it later, once the identity is settled (sdk/assembly/pending-identity.ts).
 */
export const NO_SERVICE_NAME_WARNING =
  'No service name is set (option serviceName or OTEL_SERVICE_NAME): ' +
  `spans will be reported as "${DEFAULT_SERVICE_NAME}".`

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

  // The environment's attributes, or the file's (typed, each with its place in the file).
  const fromFile = r.file !== undefined
  const envAttributes = new Map<string, { value: AttributeValue; name: string; path?: string }>()
  if (r.file !== undefined) {
    for (const { name, value, path } of r.file.resourceAttributes) {
      envAttributes.set(name, { value, name: fileLabel(r.file, path), path })
    }
  } else {
    const rawAttributes = readEnv(r.env, 'OTEL_RESOURCE_ATTRIBUTES')
    if (rawAttributes !== undefined) {
      // Member by member, as for the exporter headers: a bad member is skipped, the rest applies.
      const parsed = parseKeyValueList(rawAttributes)
      if (parsed.skipped.length > 0) r.warnings.push(skippedMembersWarning('OTEL_RESOURCE_ATTRIBUTES', parsed))
      for (const [key, value] of parsed.entries) envAttributes.set(key, { value, name: 'OTEL_RESOURCE_ATTRIBUTES' })
    }
  }
  const from = fromFile ? 'the configuration file' : 'the environment'

  // A Map, so that any key the variable may hold (`__proto__` included) is applied as it says.
  const merged = new Map(Object.entries(optionAttributes))
  let envContributed = false
  for (const [key, { value, name }] of envAttributes) {
    if (DEDICATED_RESOURCE_KEYS.includes(key)) continue
    envContributed = true
    const previous = merged.get(key)
    if (previous !== undefined && JSON.stringify(previous) !== JSON.stringify(value)) {
      r.warnings.push(
        `${name} overrides option resourceAttributes["${key}"]: using ${JSON.stringify(value)} ` +
          `from ${from} instead of ${JSON.stringify(previous)} from the plugin options.`
      )
    }
    merged.set(key, value)
  }
  for (const key of DEDICATED_RESOURCE_KEYS) merged.delete(key)
  const attributes: Attributes = Object.fromEntries(merged)
  const resourceAttributes: Setting<Attributes> = !envContributed
    ? { value: attributes, source: options.resourceAttributes === undefined ? 'default' : 'options' }
    : fromFile
      ? { value: attributes, source: 'file', path: '.resource.attributes' }
      : { value: attributes, source: 'env', env: 'OTEL_RESOURCE_ATTRIBUTES' }

  const inAttributes = (key: string): { name: string; value: string; path?: string } | undefined => {
    const found = envAttributes.get(key)
    if (found === undefined || found.value === '') return undefined
    return { name: found.name, value: String(found.value), ...(found.path === undefined ? {} : { path: found.path }) }
  }
  // OTEL_SERVICE_NAME wins over a service.name inside OTEL_RESOURCE_ATTRIBUTES (specification).
  const envServiceName = fromFile ? undefined : readEnv(r.env, 'OTEL_SERVICE_NAME')
  const serviceName = fromFileSource(
    r.decide(
      'serviceName',
      serviceNameOption,
      envServiceName !== undefined ? { name: 'OTEL_SERVICE_NAME', value: envServiceName } : inAttributes(SERVICE_NAME),
      DEFAULT_SERVICE_NAME
    ),
    inAttributes(SERVICE_NAME)
  )
  if (serviceName.source === 'default') r.warnings.push(NO_SERVICE_NAME_WARNING)
  const serviceVersion = fromFileSource(
    r.decide<string | undefined>('serviceVersion', versionOption, inAttributes(SERVICE_VERSION), undefined),
    inAttributes(SERVICE_VERSION)
  )
  const deploymentEnvironment = fromFileSource(
    r.decide<string | undefined>(
      'deploymentEnvironment',
      environmentOption,
      inAttributes(DEPLOYMENT_ENVIRONMENT),
      undefined
    ),
    inAttributes(DEPLOYMENT_ENVIRONMENT)
  )
  return { serviceName, serviceVersion, deploymentEnvironment, resourceAttributes }
}

/** A value taken from the file's resource attributes says where in the file it is. */
function fromFileSource<T> (setting: Setting<T>, hit: { name: string; path?: string } | undefined): Setting<T> {
  if (setting.source !== 'env' || hit?.path === undefined || setting.env !== hit.name) return setting
  return { value: setting.value, source: 'file', path: hit.path }
}

function stringAttribute (value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
