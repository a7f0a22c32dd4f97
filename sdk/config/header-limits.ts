import type { ConfigWarning } from './config-warning.js'
import type { OtlpProtocol } from './options.js'

/**
 * Header sizes that the usual servers and proxies in front of a collector refuse: nginx takes a
 * header line of at most 8 KiB by default, Node's HTTP/1 server 16 KiB of headers in all, and
 * an HTTP/2 peer resets a stream whose header block it will not take (a 1 MB value fails every
 * gRPC export with RST_STREAM). Such a header fails every export, so it is named at startup.
 */
export const MAX_HEADER_BYTES = 8 * 1024
export const MAX_HEADERS_TOTAL_BYTES = 16 * 1024

/** Warnings for headers too large to be sent: by name, never by value. */
export function oversizedHeaders (
  headers: Readonly<Record<string, string>>,
  protocol: OtlpProtocol,
  where: string
): ConfigWarning[] {
  const warnings: ConfigWarning[] = []
  let total = 0
  const large: string[] = []
  for (const [name, value] of Object.entries(headers)) {
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(value)
    total += bytes
    if (bytes > MAX_HEADER_BYTES) large.push(`"${name}" (${bytes} bytes)`)
  }
  const transport = protocol === 'grpc' ? 'gRPC metadata' : 'HTTP headers'
  if (large.length > 0) {
    warnings.push({
      code: 'FOK_WARN_HEADER_TOO_LARGE',
      message:
        `${where}: header ${large.join(', ')} is over ${MAX_HEADER_BYTES} bytes; ` +
        `collectors and proxies refuse ${transport} ` +
        'that large, and every export would fail. Check the value (not shown): a file pasted in place of a token?'
    })
  } else if (total > MAX_HEADERS_TOTAL_BYTES) {
    warnings.push({
      code: 'FOK_WARN_HEADER_TOO_LARGE',
      message:
        `${where}: the headers are ${total} bytes together, over ${MAX_HEADERS_TOTAL_BYTES}; ` +
        'collectors and proxies refuse ' +
        `${transport} that large, and every export would fail.`
    })
  }
  return warnings
}
