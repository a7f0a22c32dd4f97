// Shared by the contract tests that run upstream's OTLP/gRPC exporters and ours side by side
// (test/contract/grpc-transport-contract.test.mjs, test/contract/log-exporter-contract.test.mjs): the two
// configured alike, and the receiver both send to; and the resolved configuration the tests that
// build the package's exporters directly pass.
import { Metadata, credentials } from '@grpc/grpc-js'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { OtlpReceiver } from '../dist/receiver/otlp-receiver.js'

export const tlsFixture = (name) => fileURLToPath(new URL(`./fixtures/tls/${name}`, import.meta.url))

/** An exporter configuration as resolution hands it to the exporter builders, from options only. */
export function resolvedExporterConfig ({ protocol = 'grpc', endpoint, timeoutMillis = 2000, insecure = false }) {
  const setting = (value) => ({ value, source: 'options' })
  return {
    kind: setting('otlp'),
    protocol: setting(protocol),
    endpoint: setting(endpoint),
    insecure: setting(insecure),
    timeoutMillis: setting(timeoutMillis),
    headers: setting({}),
    compression: setting('none'),
    certificateFile: setting(undefined),
    clientKeyFile: setting(undefined),
    clientCertificateFile: setting(undefined),
    retry: setting(false)
  }
}

/** The constructor options of upstream's exporters (OTLPTraceExporter, OTLPLogExporter). */
export function upstreamGrpcOptions (receiver, secret, { compression = 'none', secure = false } = {}) {
  const metadata = new Metadata()
  metadata.set('authorization', secret)
  return {
    url: receiver.endpoint,
    metadata,
    compression,
    ...(secure ? { credentials: credentials.createSsl(readFileSync(tlsFixture('ca.pem'))) } : {})
  }
}

/** The plugin's `exporter` option, the same settings. */
export function ourExporterOptions (receiver, secret, { compression = 'none', secure = false } = {}) {
  return {
    protocol: 'grpc',
    endpoint: receiver.endpoint,
    headers: { authorization: secret },
    compression,
    retry: false,
    ...(secure ? { certificateFile: tlsFixture('ca.pem') } : {})
  }
}

/** A receiver that requires `secret`, over TLS when `secure`. */
export function contractReceiver (secret, { secure = false } = {}) {
  return OtlpReceiver.start({
    requiredHeaders: { authorization: secret },
    ...(secure
      ? { tls: { cert: readFileSync(tlsFixture('server.pem')), key: readFileSync(tlsFixture('server.key')) } }
      : {})
  })
}
