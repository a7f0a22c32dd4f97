import type { Histogram, Meter } from '@opentelemetry/api'
import { DURATION_BOUNDARIES } from './request-metrics.js'

export const HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration'

/**
 * http.client.request.duration for the outbound calls the plugin wraps (`request.otel.fetch`,
 * `request.otel.outbound`), through the SDK's own histogram: an outbound call costs far more than
 * the attribute hashing, and the views apply to it as to any instrument.
 */
export function clientDurationHistogram (meter: Meter): Histogram {
  return meter.createHistogram(HTTP_CLIENT_REQUEST_DURATION, {
    unit: 's',
    description: 'Duration of HTTP client requests.',
    advice: { explicitBucketBoundaries: [...DURATION_BOUNDARIES] }
  })
}
