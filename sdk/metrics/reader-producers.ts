import type { CollectionResult, IMetricReader, MetricProducer, ScopeMetrics } from '@opentelemetry/sdk-metrics'

/**
 * Makes `reader` collect what `producers(reader)` produce with what the SDK produces, as one
 * result: the same resource (the SDK's), a scope the SDK has too gets the producers' metrics in
 * its entry. The MeterProvider hands each reader its producer once (`setMetricProducer`, part of
 * the reader interface); the reader is given the combined one instead. This works for any reader,
 * the application's own included, which the readers' `metricProducers` option (fixed when a
 * reader is made) would not.
 */
export function addProducers (
  reader: IMetricReader,
  producers: (reader: IMetricReader) => MetricProducer[],
  transform: (result: CollectionResult) => CollectionResult = (result) => result
): void {
  const own = reader.setMetricProducer.bind(reader)
  reader.setMetricProducer = (sdk: MetricProducer) => {
    own(combined(sdk, producers(reader), transform))
  }
}

function combined (
  sdk: MetricProducer,
  extra: MetricProducer[],
  transform: (result: CollectionResult) => CollectionResult
): MetricProducer {
  return {
    collect: async (options) => {
      const [first, ...rest] = await Promise.all([sdk.collect(options), ...extra.map((p) => p.collect(options))])
      const result = first as CollectionResult
      const scopes: ScopeMetrics[] = [...result.resourceMetrics.scopeMetrics]
      const errors = [...result.errors]
      for (const other of rest) {
        errors.push(...other.errors)
        for (const scope of other.resourceMetrics.scopeMetrics) {
          if (scope.metrics.length === 0) continue
          const at = scopes.findIndex(
            (s) =>
              s.scope.name === scope.scope.name &&
              s.scope.version === scope.scope.version &&
              s.scope.schemaUrl === scope.scope.schemaUrl
          )
          if (at === -1) scopes.push(scope)
          else scopes[at] = { scope: scopes[at]!.scope, metrics: [...scopes[at]!.metrics, ...scope.metrics] }
        }
      }
      return transform({ resourceMetrics: { resource: result.resourceMetrics.resource, scopeMetrics: scopes }, errors })
    }
  }
}
