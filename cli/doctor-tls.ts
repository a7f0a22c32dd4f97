import type { ResolvedExporterConfig } from '../sdk/config/options.js'
import type { ConfigResolution } from '../sdk/config/resolve-config.js'
import { readTlsFiles, tlsPairProblem } from '../sdk/export/tls-files.js'
import { endpointScheme } from '../sdk/config/endpoint.js'

/**
 * The TLS files each OTLP exporter over TLS names, read as registration reads them: a file that cannot be
 * read, holds no PEM block of its kind, or a client key and certificate that are not a pair. From
 * the environment registration warns and exports without the file (the collector then refuses the
 * export, or it goes without the client certificate); from the options or a configuration file it
 * refuses to start. Either way the check fails, with or without --no-export. Returns whether every
 * file is usable; writes nothing when no exporter names one.
 */
export function checkTlsFiles (resolution: ConfigResolution, write: (line: string) => void): boolean {
  const { config } = resolution
  const exporters: Array<[string, ResolvedExporterConfig]> = [['traces', config.exporter]]
  if (config.logs.enabled.value) exporters.push(['logs', config.logs.exporter])
  if (config.metrics.enabled.value && config.metrics.exporters.value.includes('otlp')) {
    exporters.push(['metrics', config.metrics.exporter])
  }
  // The same variable read by three signals gives the same problem: said once, with its signals.
  const problems = new Map<string, string[]>()
  const usable: string[] = []
  for (const [signal, exporter] of exporters) {
    if (exporter.kind.value !== 'otlp' || !namesTlsFiles(exporter) || !usesTls(exporter)) continue
    const found: string[] = []
    try {
      readTlsFiles(exporter, (message) => found.push(message), tlsPairProblem)
    } catch (error) {
      found.push((error as Error).message.replace(/^fastify-otel-kit: /, ''))
    }
    if (found.length === 0) usable.push(signal)
    for (const problem of found) problems.set(problem, [...(problems.get(problem) ?? []), signal])
  }
  if (usable.length === 0 && problems.size === 0) return true
  write('\nTLS files')
  if (usable.length > 0) write(`  ✓ ${usable.join(', ')}: every file named is a readable PEM of its kind`)
  for (const [problem, signals] of problems) write(`  ✗ ${signals.join(', ')}: ${problem}`)
  return problems.size === 0
}

/**
 * Whether the exporter speaks TLS, as the exporters decide it: an https:// endpoint, or a
 * scheme-less gRPC host:port unless `insecure`. A plaintext one never reads its TLS files (the
 * warnings already say so), so they are not checked.
 */
function usesTls (exporter: ResolvedExporterConfig): boolean {
  const scheme = endpointScheme(exporter.endpoint.value)
  return scheme === 'https' || (scheme === undefined && !exporter.insecure.value)
}

function namesTlsFiles (exporter: ResolvedExporterConfig): boolean {
  return [exporter.certificateFile, exporter.clientKeyFile, exporter.clientCertificateFile].some(
    (setting) => setting.value !== undefined
  )
}
