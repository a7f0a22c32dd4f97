import { type MeterProvider, ValueType } from '@opentelemetry/api'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'
import { clientDurationHistogram } from '../metrics/client-metrics.js'
import {
  DURATION_BOUNDARIES,
  HTTP_SERVER_ACTIVE_REQUESTS,
  HTTP_SERVER_REQUEST_DURATION,
  RequestMetrics
} from '../metrics/request-metrics.js'
import type { SdkMetrics } from './sdk.js'

/**
 * The HTTP metrics when the application registered its own SDK and MeterProvider: recorded
 * through the Metrics API into the application's provider, whose views, readers and
 * temporality then apply as to any instrument (at the API's cost per request).
 */
export function applicationMetrics (provider: MeterProvider): SdkMetrics {
  const meter = provider.getMeter(PACKAGE_NAME, PACKAGE_VERSION)
  const duration = meter.createHistogram(HTTP_SERVER_REQUEST_DURATION, {
    unit: 's',
    description: 'Duration of HTTP server requests.',
    advice: { explicitBucketBoundaries: [...DURATION_BOUNDARIES] }
  })
  const active = meter.createUpDownCounter(HTTP_SERVER_ACTIVE_REQUESTS, {
    unit: '{request}',
    description: 'Number of active HTTP server requests.',
    valueType: ValueType.INT
  })
  return {
    provider,
    requests: new RequestMetrics(DURATION_BOUNDARIES, true, true, { duration, active }),
    clientDuration: clientDurationHistogram(meter)
  }
}
