import type { Attributes } from '@opentelemetry/api'
import { defaultResource, detectResources, type Resource, resourceFromAttributes } from '@opentelemetry/resources'
import type { ResolvedSdkConfig } from '../config/options.js'
import { loadDetectors, missingDetectorWarning } from './resource-detectors.js'
import { PendingIdentityResource, type SettledBy } from './pending-identity.js'

export interface ResourceOptions {
  /** Told of a detector the user named whose package is not installed. */
  warn?: (message: string) => void
  /**
   * For the preload: the identity stays open until a plugin registration or the first export
   * settles it (pending-identity.ts); `onSettled` is told which.
   */
  pendingIdentity?: { onSettled: (by: SettledBy, identity: Attributes) => void }
}

/**
 * The service identity stamped on every span and log record: SDK facts, what the resource
 * detectors find (OTEL_NODE_RESOURCE_DETECTORS: host, os, process, service.instance.id and
 * container by default), then the configured attributes, then the three dedicated keys, which win.
 */
export function buildResource (config: ResolvedSdkConfig, options: ResourceOptions = {}): Resource {
  const { detectors, missing } = loadDetectors(config.resourceDetectors)
  const where = config.resourceDetectors.source === 'file' ? 'the configuration file' : 'OTEL_NODE_RESOURCE_DETECTORS'
  for (const entry of missing) options.warn?.(missingDetectorWarning(entry, where))
  const detected = defaultResource().merge(detectResources({ detectors }))
  const identity = identityAttributes(config)
  if (options.pendingIdentity !== undefined) {
    return new PendingIdentityResource(detected, identity, options.pendingIdentity.onSettled)
  }
  return detected.merge(resourceFromAttributes(identity))
}

/** The configured attributes: the user's resource attributes, then service.name, .version and the environment. */
export function identityAttributes (config: ResolvedSdkConfig): Attributes {
  const identity: Attributes = { ...config.resourceAttributes.value, 'service.name': config.serviceName.value }
  if (config.serviceVersion.value !== undefined) identity['service.version'] = config.serviceVersion.value
  if (config.deploymentEnvironment.value !== undefined) {
    identity['deployment.environment.name'] = config.deploymentEnvironment.value
  }
  return identity
}
