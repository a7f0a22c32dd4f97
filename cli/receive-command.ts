import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { escapeControls } from '../receiver/terminal-text.js'
import { startReceive } from './receive.js'

export const RECEIVE_USAGE = `Usage: fastify-otel-kit receive [options]

  --http-port <port>   OTLP/HTTP, protobuf and JSON (default 4318; 0 picks a free port)
  --grpc-port <port>   OTLP/gRPC (default 4317; 0 picks a free port)
  --host <address>     where to listen (default 127.0.0.1; 0.0.0.0 for containers on this host)
  --quiet <ms>         print a trace once nothing of it has arrived for this long (default 1000;
                       one with log records only waits at least 6000 for its spans)
  --tls-cert <file>    listen over TLS with this PEM certificate (and --tls-key, its key)
  --tls-key <file>
  --tls-client-ca <file>  with TLS, require client certificates this PEM CA signed (mutual TLS)
  --details            also print each span's attributes, each resource as it first arrives and
                       the names of the headers exports come with (their values never)
  -h, --help

Point a service at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 (or, for gRPC,
OTEL_EXPORTER_OTLP_PROTOCOL=grpc and http://localhost:4317). Ctrl-C stops it.`

/** `fastify-otel-kit receive`: runs until SIGINT or SIGTERM; 0 then, 1 when it cannot listen, 2 for a usage error. */
export async function runReceiveCommand (args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(`${RECEIVE_USAGE}\n`)
    return 0
  }
  let values
  try {
    ;({ values } = parseArgs({
      args,
      options: {
        'http-port': { type: 'string' },
        'grpc-port': { type: 'string' },
        host: { type: 'string' },
        quiet: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-client-ca': { type: 'string' },
        details: { type: 'boolean' }
      }
    }))
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${RECEIVE_USAGE}\n`)
    return 2
  }
  let options
  try {
    options = {
      host: values.host ?? '127.0.0.1',
      httpPort: port('http-port', values['http-port'], 4318),
      grpcPort: port('grpc-port', values['grpc-port'], 4317),
      quietMillis: quiet(values.quiet),
      details: values.details === true,
      ...tlsFiles(values['tls-cert'], values['tls-key'], values['tls-client-ca']),
      // What a service sent (log bodies, span names) never drives the terminal.
      write: (text: string) => process.stdout.write(escapeControls(text, true))
    }
  } catch (error) {
    process.stderr.write(`fastify-otel-kit receive: ${(error as Error).message}\n`)
    return 2
  }
  // grpc-js prints its own errors to stderr ("E No address added out of total 1 resolved" for a
  // port in use) before the message below says the same with the fix: this process says it once,
  // unless grpc-js's own logging was asked for (GRPC_VERBOSITY).
  if (process.env.GRPC_VERBOSITY === undefined) setLogVerbosity(logVerbosity.NONE)
  let receiving
  try {
    receiving = await startReceive(options)
  } catch (error) {
    const { code, port: busy } = error as NodeJS.ErrnoException & { port?: number }
    // The HTTP listener names its port; grpc-js says only that it bound nothing.
    const which =
      code === 'EADDRINUSE' && busy === options.httpPort
        ? `port ${busy} (--http-port)`
        : /No address added/i.test((error as Error).message)
          ? `port ${options.grpcPort} (--grpc-port)`
          : undefined
    const reason =
      which !== undefined
        ? `${which} is in use (a collector already running?): choose another with that option`
        : (error as Error).message
    process.stderr.write(`fastify-otel-kit receive: cannot listen: ${reason}\n`)
    return 1
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await receiving.stop()
  return 0
}

function port (name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value > 65535) throw new Error(`--${name} must be a port from 0 to 65535; received ${JSON.stringify(raw)}`)
  return value
}

function quiet (raw: string | undefined): number {
  if (raw === undefined) return 1000
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value <= 0 || value > 60_000) {
    throw new Error(`--quiet must be from 1 to 60000 ms; received ${JSON.stringify(raw)}`)
  }
  return value
}

/** The TLS files the flags name, read now: a missing half or an unreadable file is a usage error. */
function tlsFiles (
  cert: string | undefined,
  key: string | undefined,
  clientCa: string | undefined
): { tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer } } {
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new Error('--tls-client-ca needs --tls-cert and --tls-key')
    return {}
  }
  if (cert === undefined || key === undefined) throw new Error('--tls-cert and --tls-key go together')
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file)
    } catch (error) {
      throw new Error(`${flag} names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  return {
    tls: {
      cert: read('--tls-cert', cert),
      key: read('--tls-key', key),
      ...(clientCa === undefined ? {} : { clientCa: read('--tls-client-ca', clientCa) })
    }
  }
}
