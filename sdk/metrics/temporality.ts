import { AggregationTemporality, type AggregationTemporalitySelector, InstrumentType } from '@opentelemetry/sdk-metrics'
import type { TemporalityPreference } from '../config/options.js'

/**
 * The specification's temporality preferences (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE),
 * as upstream's OTLP metric exporters apply them: `delta` keeps the up-down counters cumulative (a
 * delta of a level means nothing alone), `lowmemory` makes only the synchronous counters and
 * histograms delta (no state to keep for them between exports).
 */
export function temporalitySelector (preference: TemporalityPreference): AggregationTemporalitySelector {
  switch (preference) {
    case 'cumulative':
      return () => AggregationTemporality.CUMULATIVE
    case 'delta':
      return (type) =>
        type === InstrumentType.UP_DOWN_COUNTER || type === InstrumentType.OBSERVABLE_UP_DOWN_COUNTER
          ? AggregationTemporality.CUMULATIVE
          : AggregationTemporality.DELTA
    case 'lowmemory':
      return (type) =>
        type === InstrumentType.COUNTER || type === InstrumentType.HISTOGRAM
          ? AggregationTemporality.DELTA
          : AggregationTemporality.CUMULATIVE
  }
}
