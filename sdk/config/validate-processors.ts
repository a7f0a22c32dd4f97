import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { invalidOption, invalidOptionDescribed } from '../errors.js'

const METHODS = ['onStart', 'onEnd', 'forceFlush', 'shutdown'] as const

/** `spanProcessors`: an array of SpanProcessor objects (onEnding is optional, as in the SDK). */
export function validateSpanProcessors (value: unknown): SpanProcessor[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidOption('spanProcessors', 'an array of SpanProcessor objects', value)
  value.forEach((processor, i) => {
    const missing = METHODS.filter((m) => typeof (processor as Record<string, unknown> | null)?.[m] !== 'function')
    if (processor === null || typeof processor !== 'object' || missing.length > 0) {
      throw invalidOption(
        `spanProcessors[${i}]`,
        `a SpanProcessor (methods ${METHODS.join(', ')}; onEnding optional)`,
        processor
      )
    }
    const sdkClass = builtTheSdk2Way(processor as object)
    if (sdkClass !== undefined) {
      throw invalidOptionDescribed(
        `spanProcessors[${i}]`,
        `built with an options object on SDK 3: new ${sdkClass}({ exporter })`,
        `a ${sdkClass} built the SDK 2 way, new ${sdkClass}(exporter), which leaves it without an exporter`
      )
    }
  })
  return [...value] as SpanProcessor[]
}

/**
 * SDK 3's Batch and Simple span processors take an options object. One built the SDK 2 way, with
 * the exporter as the first argument, keeps no exporter and rejects at its first export: an
 * unhandled rejection that ends the process, long after registration. It is caught here instead.
 * The exporter is read from the processor's private `_exporter` field (a test fails if upstream
 * renames it). Returns the class name when the processor is one of those, built that way.
 */
function builtTheSdk2Way (processor: object): string | undefined {
  const name = processor.constructor?.name
  if (name !== 'BatchSpanProcessor' && name !== 'SimpleSpanProcessor') return undefined
  return '_exporter' in processor && (processor as { _exporter?: unknown })._exporter === undefined ? name : undefined
}
