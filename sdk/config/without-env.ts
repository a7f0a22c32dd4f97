/**
 * The OTLP exporter variables this package resolves itself (sdk/config/resolve-exporter.ts) and
 * passes to the exporter explicitly. OpenTelemetry JS's OTLPTraceExporter also reads them from
 * process.env when it is constructed, with its own parser: it sent a header our warning said was
 * ignored, and a value gRPC metadata refuses (a newline, a space in a name) made its constructor
 * throw, failing registration. Hiding them while it is built leaves one reader of the environment.
 */
export const OTLP_EXPORTER_VARIABLES: readonly string[] = Object.freeze(['HEADERS', 'ENDPOINT', 'TIMEOUT', 'COMPRESSION', 'INSECURE', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE']
  .flatMap((suffix) => [`OTEL_EXPORTER_OTLP_${suffix}`, `OTEL_EXPORTER_OTLP_TRACES_${suffix}`]))

/**
 * Runs `build` with `names` absent from process.env and puts them back afterwards, also on a
 * throw. Synchronous, so no other code of this thread can observe the gap (a worker thread has
 * its own copy of the environment unless it was started with SHARE_ENV).
 */
export function withoutEnv<T> (names: readonly string[], build: () => T): T {
  const saved = new Map<string, string>()
  for (const name of names) {
    const value = process.env[name]
    if (value === undefined) continue
    saved.set(name, value)
    delete process.env[name]
  }
  try {
    return build()
  } finally {
    for (const [name, value] of saved) process.env[name] = value
  }
}
