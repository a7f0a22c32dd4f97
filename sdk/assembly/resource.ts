import {
  defaultResource,
  detectResources,
  hostDetector,
  type Resource,
  resourceFromAttributes
} from '@opentelemetry/resources'
import type { ResolvedSdkConfig } from '../config/options.js'

/**
 * The service identity stamped on every span: SDK facts, host facts (host.name, host.arch and
 * host.id from the machine id), the user's attributes, then the three dedicated keys, which win.
 */
export function buildResource (config: ResolvedSdkConfig): Resource {
  const identity: Record<string, string> = { 'service.name': config.serviceName.value }
  if (config.serviceVersion.value !== undefined) identity['service.version'] = config.serviceVersion.value
  if (config.deploymentEnvironment.value !== undefined) {
    identity['deployment.environment.name'] = config.deploymentEnvironment.value
  }
  return defaultResource()
    .merge(detectResources({ detectors: [hostDetector] }))
    .merge(resourceFromAttributes({ ...config.resourceAttributes.value, ...identity }))
}
