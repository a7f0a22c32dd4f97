import type { Attributes } from '@opentelemetry/api'
import {
  AggregationType,
  type IAttributesProcessor,
  InstrumentType,
  type ViewOptions
} from '@opentelemetry/sdk-metrics'

/** An instrument the package aggregates itself, as a view selector sees it. */
export interface InstrumentIdentity {
  name: string
  type: InstrumentType
  unit: string
  description: string
}

export interface MeterIdentity {
  name: string
  version: string
  schemaUrl?: string
}

/**
 * What one matching view (or the default) makes of an instrument: a metric stream with this name,
 * description and unit, its attributes processed, aggregated as `aggregation`.
 */
export interface Stream {
  name: string
  description: string
  unit: string
  attributes: (attributes: Attributes) => Attributes
  /** `histogram` (explicit buckets), `sum` (the values added up), `drop` (no stream at all). */
  aggregation: 'histogram' | 'sum' | 'drop'
  /** The buckets a histogram stream asks for (undefined: the instrument's own). */
  boundaries: readonly number[] | undefined
  recordMinMax: boolean
  /** Attribute sets kept before the overflow set (a view's aggregationCardinalityLimit). */
  cardinalityLimit: number | undefined
}

/** The SDK's default explicit buckets, for a view that asks for a histogram without boundaries. */
const SDK_DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]

/**
 * The streams the MeterProvider's views make of `instrument`, with the SDK's rules: every
 * matching view makes one stream, no matching view the default stream. A view's selector matches
 * by instrument name (`*` as a wildcard), type and unit, and by meter name, version and schema URL.
 * What the package's own aggregation cannot do (exponential histograms, a last value) falls back
 * to the default aggregation, with a note to warn about.
 */
export function streamsFor (
  instrument: InstrumentIdentity,
  meter: MeterIdentity,
  views: readonly ViewOptions[]
): { streams: Stream[]; notes: string[] } {
  const notes: string[] = []
  const matching = views.filter((view) => selects(view, instrument, meter))
  if (matching.length === 0) return { streams: [defaultStream(instrument)], notes }
  const streams = matching.map((view) => {
    const stream = defaultStream(instrument)
    stream.name = view.name ?? instrument.name
    stream.description = view.description ?? instrument.description
    const processors: IAttributesProcessor[] = view.attributesProcessors ?? []
    if (processors.length > 0) {
      stream.attributes = (attributes) => processors.reduce((current, p) => p.process(current), attributes)
    }
    stream.cardinalityLimit = view.aggregationCardinalityLimit
    const aggregation = view.aggregation
    switch (aggregation?.type) {
      case undefined:
      case AggregationType.DEFAULT:
        break
      case AggregationType.DROP:
        stream.aggregation = 'drop'
        break
      case AggregationType.SUM:
        stream.aggregation = 'sum'
        break
      case AggregationType.EXPLICIT_BUCKET_HISTOGRAM:
        if (instrument.type === InstrumentType.HISTOGRAM) {
          stream.boundaries = aggregation.options?.boundaries ?? SDK_DEFAULT_BOUNDARIES
          stream.recordMinMax = aggregation.options?.recordMinMax ?? true
        } else {
          notes.push(unsupported(instrument, 'an explicit-bucket histogram'))
        }
        break
      case AggregationType.EXPONENTIAL_HISTOGRAM:
        notes.push(unsupported(instrument, 'an exponential histogram'))
        break
      case AggregationType.LAST_VALUE:
        notes.push(unsupported(instrument, 'a last value'))
        break
    }
    return stream
  })
  return { streams, notes }
}

function unsupported (instrument: InstrumentIdentity, what: string): string {
  return (
    `a view asks for ${what} of ${instrument.name}, which the package aggregates itself as ` +
    `${instrument.type === InstrumentType.HISTOGRAM ? 'an explicit-bucket histogram' : 'a sum'}: ` +
    'that aggregation is kept (its name, description and attribute filters apply).'
  )
}

function defaultStream (instrument: InstrumentIdentity): Stream {
  return {
    name: instrument.name,
    description: instrument.description,
    unit: instrument.unit,
    attributes: (attributes) => attributes,
    aggregation: instrument.type === InstrumentType.HISTOGRAM ? 'histogram' : 'sum',
    boundaries: undefined,
    recordMinMax: true,
    cardinalityLimit: undefined
  }
}

function selects (view: ViewOptions, instrument: InstrumentIdentity, meter: MeterIdentity): boolean {
  if (view.instrumentName !== undefined && !wildcard(view.instrumentName).test(instrument.name)) return false
  if (view.instrumentType !== undefined && view.instrumentType !== instrument.type) return false
  if (view.instrumentUnit !== undefined && view.instrumentUnit !== instrument.unit) return false
  if (view.meterName !== undefined && view.meterName !== meter.name) return false
  if (view.meterVersion !== undefined && view.meterVersion !== meter.version) return false
  if (view.meterSchemaUrl !== undefined && view.meterSchemaUrl !== meter.schemaUrl) return false
  return true
}

/** The SDK's instrument name pattern: exact, with `*` matching anything. */
function wildcard (pattern: string): RegExp {
  const escaped = pattern.replace(/[\^$\\.+?()[\]{}|]/g, '\\$&').replaceAll('*', '.*')
  return new RegExp(`^${escaped}$`)
}
