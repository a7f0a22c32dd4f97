import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { invalidOption } from '../errors.js'

const METHODS = ['onStart', 'onEnd', 'forceFlush', 'shutdown'] as const

/** `spanProcessors`: an array of SpanProcessor objects (onEnding is optional, as in the SDK). */
export function validateSpanProcessors (value: unknown): SpanProcessor[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidOption('spanProcessors', 'an array of SpanProcessor objects', value)
  value.forEach((processor, i) => {
    const missing = METHODS.filter((m) => typeof (processor as Record<string, unknown> | null)?.[m] !== 'function')
    if (processor === null || typeof processor !== 'object' || missing.length > 0) {
      throw invalidOption(`spanProcessors[${i}]`, `a SpanProcessor (methods ${METHODS.join(', ')}; onEnding optional)`, processor)
    }
  })
  return [...value] as SpanProcessor[]
}
