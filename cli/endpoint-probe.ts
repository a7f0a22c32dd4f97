import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'

/**
 * What a collector's port speaks, found by asking it (no OTLP): used by the doctor to name the
 * usual mistakes after an export failed, because the exporters' own errors rarely do ("socket
 * hang up", "Protocol error", a deadline).
 * - `refused`: nothing listens.
 * - `tls`: a TLS handshake succeeds; `alpn` says whether HTTP/2 was agreed (gRPC needs it).
 * - `h2c`: plaintext HTTP/2 only (answers the HTTP/2 preface with a SETTINGS frame): a gRPC port.
 * - `http1`: plaintext HTTP/1.x (answers the HTTP/2 preface with an HTTP/1 status line).
 * - `silent`: takes the connection and says nothing understandable in time.
 * - `unreachable`: the host cannot be resolved or reached.
 */
export type PortSpeaks =
  | { kind: 'refused' }
  | { kind: 'tls'; alpn: string | false }
  | { kind: 'h2c' }
  | { kind: 'http1' }
  | { kind: 'silent' }
  | { kind: 'unreachable'; reason: string }

/** The HTTP/2 client preface and an empty SETTINGS frame (RFC 9113, 3.4). */
const H2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])
])

export async function probePort (host: string, port: number, timeoutMillis: number): Promise<PortSpeaks> {
  const tls = await tryTls(host, port, timeoutMillis)
  if (tls !== undefined) return tls
  return tryPlain(host, port, timeoutMillis)
}

/** A TLS handshake with HTTP/2 and HTTP/1.1 offered; undefined when the port does not speak TLS. */
function tryTls (host: string, port: number, timeoutMillis: number): Promise<PortSpeaks | undefined> {
  return new Promise((resolve) => {
    const socket = connectTls({
      host,
      port,
      // Only what the port speaks matters here; whether its certificate is trusted, the export says.
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
      ...(isIp(host) ? {} : { servername: host })
    })
    finish(socket, timeoutMillis, resolve, undefined, { kind: 'silent' })
    socket.once('secureConnect', () => {
      resolve({ kind: 'tls', alpn: socket.alpnProtocol ?? false })
      socket.destroy()
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(networkOutcome(error))
      socket.destroy()
    })
  })
}

function tryPlain (host: string, port: number, timeoutMillis: number): Promise<PortSpeaks> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port })
    finish(socket, timeoutMillis, resolve, { kind: 'silent' }, { kind: 'silent' })
    socket.once('connect', () => socket.write(H2_PREFACE))
    let answer = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk])
      if (answer.subarray(0, 5).toString('latin1') === 'HTTP/') resolve({ kind: 'http1' })
      // A frame header: 3 bytes of length, then the type; 4 is SETTINGS, 7 GOAWAY.
      else if (answer.length >= 4 && (answer[3] === 4 || answer[3] === 7)) resolve({ kind: 'h2c' })
      else return
      socket.destroy()
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const outcome = networkOutcome(error)
      resolve(outcome ?? { kind: 'silent' })
      socket.destroy()
    })
  })
}

/** Connection errors that say something of their own; others mean "not this way". */
function networkOutcome (error: NodeJS.ErrnoException): PortSpeaks | undefined {
  if (error.code === 'ECONNREFUSED') return { kind: 'refused' }
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' || error.code === 'EHOSTUNREACH') {
    return { kind: 'unreachable', reason: error.code }
  }
  return undefined
}

function finish<T> (
  socket: Socket,
  timeoutMillis: number,
  resolve: (value: T) => void,
  onClose: T,
  onTimeout: T
): void {
  const timer = setTimeout(() => {
    resolve(onTimeout)
    socket.destroy()
  }, timeoutMillis)
  socket.once('close', () => {
    clearTimeout(timer)
    resolve(onClose)
  })
}

function isIp (host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}
