import type { MeterProvider } from '@opentelemetry/api'
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node'

/**
 * The runtime's metrics from upstream's instrumentation (instrumentation-runtime-node): event loop
 * delay, utilisation and time, garbage collection durations, V8 heap spaces and active handles.
 * It patches no module: made here and pointed at `provider` before it starts. Returns what stops it.
 */
export function startRuntimeMetrics (provider: MeterProvider): () => void {
  const instrumentation = new RuntimeNodeInstrumentation({ enabled: false })
  instrumentation.setMeterProvider(provider)
  instrumentation.enable()
  return () => instrumentation.disable()
}
