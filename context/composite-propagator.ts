import type { Context, SpanContext, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api'
import { diag, trace } from './otel-api.js'

/**
 * Runs several propagators with the list order as extraction priority: the first one that finds a
 * span context wins, and later ones may only add what they carry besides (baggage). OpenTelemetry
 * JS's CompositePropagator lets the last one overwrite the span context instead.
 *
 * A propagator that throws is skipped: a hostile header must never fail a request.
 */
export class PriorityCompositePropagator implements TextMapPropagator {
  private readonly allFields: string[]

  constructor (private readonly propagators: readonly TextMapPropagator[]) {
    this.allFields = [...new Set(propagators.flatMap((p) => p.fields()))]
  }

  inject (context: Context, carrier: unknown, setter: TextMapSetter): void {
    for (const propagator of this.propagators) {
      try {
        propagator.inject(context, carrier, setter)
      } catch (error) {
        diag.warn('fastify-otel-kit: a propagator failed to inject; skipped', error)
      }
    }
  }

  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let result = context
    let winner: SpanContext | undefined
    for (const propagator of this.propagators) {
      // Once a span context won, propagators that carry nothing else have nothing to add.
      if (
        winner !== undefined &&
        (propagator as { extractsSpanContextOnly?: boolean }).extractsSpanContextOnly === true
      ) { continue }
      let next: Context
      try {
        next = propagator.extract(result, carrier, getter)
      } catch (error) {
        diag.warn('fastify-otel-kit: a propagator failed to extract; skipped', error)
        continue
      }
      const found = trace.getSpanContext(next)
      if (found !== trace.getSpanContext(result)) {
        if (winner === undefined) winner = found
        else next = trace.setSpanContext(next, winner)
      }
      result = next
    }
    return result
  }

  fields (): string[] {
    return this.allFields
  }
}

/**
 * Reads inbound context but never writes any: for services behind a sidecar (Envoy, Istio) that
 * owns outbound injection, so the two never disagree about the trace.
 */
export class ExtractOnlyPropagator implements TextMapPropagator {
  constructor (private readonly inner: TextMapPropagator) {}

  inject (): void {}

  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.inner.extract(context, carrier, getter)
  }

  fields (): string[] {
    return this.inner.fields()
  }
}

/** `OTEL_PROPAGATORS=none`: no context crosses process boundaries. */
export class NoPropagator implements TextMapPropagator {
  inject (): void {}
  extract (context: Context): Context {
    return context
  }

  fields (): string[] {
    return []
  }
}

/**
 * A propagator whose injection can be turned off after it was registered globally: the preload
 * entry registers the process's propagator before any plugin option is known, and a plugin with
 * `extractOnly` then silences every injection, the instrumentations' included.
 */
export class InjectionGate implements TextMapPropagator {
  injects = true
  constructor (private readonly inner: TextMapPropagator) {}

  inject (context: Context, carrier: unknown, setter: TextMapSetter): void {
    if (this.injects) this.inner.inject(context, carrier, setter)
  }

  extract (context: Context, carrier: unknown, getter: TextMapGetter): Context {
    return this.inner.extract(context, carrier, getter)
  }

  fields (): string[] {
    return this.inner.fields()
  }
}
