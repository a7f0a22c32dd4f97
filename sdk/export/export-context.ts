import { ROOT_CONTEXT } from '@opentelemetry/api'
import { suppressTracing } from '@opentelemetry/core'

/**
 * The context every export and every retry runs in: the root context (no request's span or
 * baggage leaks into the exporter) with tracing suppressed, so an instrumented HTTP or gRPC client
 * under the exporter records nothing and injects nothing. Without it, each export would be traced,
 * that trace exported, and so on.
 */
export const EXPORT_CONTEXT = suppressTracing(ROOT_CONTEXT)
