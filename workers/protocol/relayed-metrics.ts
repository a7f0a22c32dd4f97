import type { Attributes, MetricOptions } from '@opentelemetry/api'

/**
 * Measurements made with the Metrics API in a worker thread, on their way to the main thread's
 * MeterProvider. Unlike spans and log records they do not ride on a task's reply: a metric does
 * not depend on sampling, and an unsampled task's result travels untouched (messages.ts). The
 * worker posts them on this broadcast channel at the end of the turn that recorded them (Piscina
 * may freeze an idle worker's event loop, but never before its task's promise settles); the main
 * thread records them again into its own instruments, so views, temporality and export are the
 * main thread's. Counters and up-down counters travel as their sum per attribute set, gauges as
 * their last value, histograms as every value (up to MAX_HISTOGRAM_VALUES a set per message).
 */
export const METRICS_CHANNEL = 'fastify-otel-kit/worker-metrics@1'

export type InstrumentKind = 'counter' | 'upDownCounter' | 'histogram' | 'gauge'

/** Histogram values kept per attribute set and message; beyond, they are counted as dropped. */
export const MAX_HISTOGRAM_VALUES = 4096

/**
 * One message: [mark, threadId, dropped, ...entries], each entry 7 fields:
 *   scopeName, scopeVersion, kind, name, options (unit, description, advice...), attributes,
 *   value (a number, or a list of numbers for a histogram).
 */
export const METRICS_MARK = 'fastify-otel-kit/metrics@1'
export const ENTRY_FIELDS = 7

export type MetricsMessage = [typeof METRICS_MARK, number, number, ...unknown[]]

export interface Entry {
  scopeName: string
  scopeVersion: string
  kind: InstrumentKind
  name: string
  options: MetricOptions
  attributes: Attributes
  value: number | number[]
}

export function isMetricsMessage (value: unknown): value is MetricsMessage {
  return Array.isArray(value) && value[0] === METRICS_MARK && value.length >= 3
}
