// Type tests, checked by `npm run typecheck` (tsc): the decorators are typed by declaration
// merging, options are checked, and misuse fails to compile (@ts-expect-error must be needed).
import type { Span } from '@opentelemetry/api'
import Fastify from 'fastify'
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs'
import otelPlugin, {
  type AppTelemetry,
  type ExportStats,
  type OtelPluginOptions,
  type PipelineStats,
  type RequestTelemetry,
  withSpan
} from 'fastify-otel-kit'

/** Marks values as used: this file is compiled, never run. */
function use (..._values: unknown[]): void {}

export async function build (): Promise<void> {
  const app = Fastify()
  await app.register(otelPlugin, {
    serviceName: 'payment-processor',
    batch: { preset: 'aggressive', maxQueueSize: 16384 },
    propagators: ['tracecontext', 'b3'],
    exporter: { endpoint: 'https://collector:4317', headers: { authorization: 'Bearer x' }, compression: 'gzip' },
    ignore: ['/health'],
    spanName: (request) => `${request.method} custom`,
    handleSignals: ['SIGTERM'],
    logs: {
      batch: { maxQueueSize: 4096, scheduledDelayMillis: 500 },
      exporter: new InMemoryLogRecordExporter(),
      attributeCountLimit: 64
    }
  })

  const telemetry: AppTelemetry = app.otel
  const stats: PipelineStats = telemetry.stats()
  const dropped: number = stats.dropped
  const source: 'env' | 'file' | 'options' | 'default' = telemetry.config.serviceName.source
  // A value from the configuration file says where in it; one from the environment, which variable.
  const where: string | undefined = telemetry.config.serviceName.path ?? telemetry.config.serviceName.env
  const queue: number = telemetry.config.batch.maxQueueSize.value
  // Present when log export is on.
  const logStats: ExportStats | undefined = stats.logs
  const logsOn: boolean = telemetry.config.logs.enabled.value
  use(dropped, source, where, queue, logStats, logsOn)

  app.get('/orders/:id', { config: { otel: false } }, async (request) => {
    const otel: RequestTelemetry = request.otel
    const traceId: string = otel.traceId
    const span: Span = otel.span
    const headers = otel.inject({ accept: 'application/json' })
    const accept: string = headers.accept
    const response: Response = await otel.fetch('http://inventory/items')
    const viaAnyClient: number = await otel.outbound({ url: 'http://inventory', method: 'POST' }, async (h: Record<string, string>) => Object.keys(h).length)
    const total: number = withSpan('refund.process', { 'order.id': '1' }, () => 42)
    const later: Promise<string> = withSpan('refund.async', async () => 'done')
    use(traceId, span, accept, response, viaAnyClient, total, later)
    return 'ok'
  })

  // @ts-expect-error unknown option names are compile errors too
  await app.register(otelPlugin, { servicename: 'typo' })
  // @ts-expect-error not a preset
  await app.register(otelPlugin, { batch: 'huge' })
  // @ts-expect-error not a propagator name
  const wrong: OtelPluginOptions = { propagators: ['w3c'] }
  // @ts-expect-error the log queue has no presets
  const noPreset: OtelPluginOptions = { logs: { batch: 'aggressive' } }
  use(wrong, noPreset)
  // @ts-expect-error route config otel is true or false (or another plugin's settings object)
  app.get('/x', { config: { otel: 'off' } }, async () => 'x')
}
