import { createNoopMeter, type Meter, type MeterProvider } from '@opentelemetry/api'

/**
 * The instruments the plugin records itself, from the request span: an instrumentation's own would
 * count each request twice.
 */
const RECORDED_BY_THE_PLUGIN: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '@opentelemetry/instrumentation-http': Object.freeze(['http.server.request.duration'])
})

const NOOP = createNoopMeter()

/**
 * The MeterProvider an instrumentation gets: `provider`, except that instrumentation-http's
 * http.server.request.duration is a no-op. The plugin records that histogram for every request it
 * serves, sampled or not, with the route; instrumentation-http would record the same request again
 * (and, for a request whose span is not recorded, without the route). Its client metrics
 * (http.client.request.duration for outbound http/https calls) are kept.
 */
export function meterProviderFor (instrumentationName: string, provider: MeterProvider): MeterProvider {
  const skipped = RECORDED_BY_THE_PLUGIN[instrumentationName]
  if (skipped === undefined) return provider
  return {
    getMeter: (name, version, options) => withoutInstruments(provider.getMeter(name, version, options), skipped)
  }
}

function withoutInstruments (meter: Meter, skipped: readonly string[]): Meter {
  return new Proxy(meter, {
    get (target, property, receiver) {
      if (property === 'createHistogram') {
        return (name: string, options?: Parameters<Meter['createHistogram']>[1]) =>
          skipped.includes(name) ? NOOP.createHistogram(name, options) : target.createHistogram(name, options)
      }
      const value = Reflect.get(target, property, receiver) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    }
  })
}
