// gRPC failures in the terms the queue and the retries read (sdk/export/grpc/grpc-status.ts): every
// status code to its failure kind (the OTLP specification's retryable codes), the server's
// RetryInfo in grpc-status-details-bin to retryAfterMillis, and a refusal for size to too-large.
// The errors have grpc-js's shape and real grpc-js Metadata; the details are written with the
// package's MessageWriter, field by field as google.rpc.Status says.
import { Metadata, status as Status } from '@grpc/grpc-js'
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  classifyGrpcError,
  isTooLarge,
  RequestTooLargeError,
  serverRetryDelay
} from '../../dist/sdk/export/grpc/grpc-status.js'
import { MessageWriter } from '../../dist/sdk/export/protobuf/protowire.js'

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo'

/** google.protobuf.Duration { int64 seconds = 1; int32 nanos = 2 }. */
const duration = (seconds, nanos) => {
  const writer = new MessageWriter()
  if (seconds !== undefined) writer.varint(1, seconds)
  if (nanos !== undefined) writer.varint(2, nanos)
  return writer.finish()
}
/** google.protobuf.Any { string type_url = 1; bytes value = 2 }. */
const any = (typeUrl, value) => new MessageWriter().bytes(1, typeUrl).bytes(2, value).finish()
/** google.rpc.RetryInfo { Duration retry_delay = 1 }, as an Any; no delay: an empty RetryInfo. */
const retryInfo = (delay) =>
  any(RETRY_INFO, delay === undefined ? Buffer.alloc(0) : new MessageWriter().bytes(1, delay).finish())
/** google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3 }. */
const statusDetails = (code, message, ...details) => {
  const writer = new MessageWriter().varint(1, code).bytes(2, message)
  for (const detail of details) writer.bytes(3, detail)
  return writer.finish()
}

/** What grpc-js hands a client callback: `${code} ${NAME}: ${details}`, with the trailers. */
function grpcError (code, details = 'failed', statusBin) {
  const metadata = new Metadata()
  if (statusBin !== undefined) metadata.set('grpc-status-details-bin', statusBin)
  const name = Object.keys(Status).find((key) => Status[key] === code)
  return Object.assign(new Error(`${code} ${name}: ${details}`), { code, details, metadata })
}

describe('every gRPC status code', () => {
  // Written out, not derived: the OTLP specification's table of retryable codes.
  const EXPECTED = {
    OK: { kind: 'permanent' },
    CANCELLED: { kind: 'transient' },
    UNKNOWN: { kind: 'permanent' },
    INVALID_ARGUMENT: { kind: 'permanent' },
    DEADLINE_EXCEEDED: { kind: 'transient' },
    NOT_FOUND: { kind: 'permanent' },
    ALREADY_EXISTS: { kind: 'permanent' },
    PERMISSION_DENIED: { kind: 'permanent' },
    RESOURCE_EXHAUSTED: { kind: 'throttled' },
    FAILED_PRECONDITION: { kind: 'permanent' },
    ABORTED: { kind: 'transient' },
    OUT_OF_RANGE: { kind: 'transient' },
    UNIMPLEMENTED: { kind: 'permanent' },
    INTERNAL: { kind: 'permanent' },
    UNAVAILABLE: { kind: 'transient', unreachable: true },
    DATA_LOSS: { kind: 'transient' },
    UNAUTHENTICATED: { kind: 'permanent' }
  }

  test('the table covers every code grpc-js knows', () => {
    const names = Object.keys(Status).filter((key) => Number.isNaN(Number(key)))
    assert.deepEqual(names.sort(), Object.keys(EXPECTED).sort())
  })

  for (const [name, failure] of Object.entries(EXPECTED)) {
    test(`${Status[name]} ${name}: ${failure.kind}${failure.unreachable ? ', unreachable' : ''}`, () => {
      assert.deepEqual(classifyGrpcError(grpcError(Status[name])), failure)
    })
  }

  test('no numeric code (not a gRPC error at all): permanent', () => {
    for (const error of [new Error('socket hang up'), { code: 'ECONNRESET' }, null, undefined, 'a string']) {
      assert.deepEqual(classifyGrpcError(error), { kind: 'permanent' })
    }
  })
})

describe('RetryInfo', () => {
  test('the delay of RetryInfo becomes retryAfterMillis, for a retryable code and for RESOURCE_EXHAUSTED', () => {
    const bin = statusDetails(Status.UNAVAILABLE, 'later', retryInfo(duration(2)))
    assert.deepEqual(classifyGrpcError(grpcError(Status.UNAVAILABLE, 'later', bin)), {
      kind: 'transient',
      retryAfterMillis: 2000,
      unreachable: true
    })
    const quota = statusDetails(Status.RESOURCE_EXHAUSTED, 'quota', retryInfo(duration(1, 500_000_000)))
    assert.deepEqual(classifyGrpcError(grpcError(Status.RESOURCE_EXHAUSTED, 'quota', quota)), {
      kind: 'throttled',
      retryAfterMillis: 1500
    })
  })

  test('seconds and nanos, either alone; an empty RetryInfo is zero; permanent codes ignore it', () => {
    const delay = (detail) => serverRetryDelay(grpcError(Status.UNAVAILABLE, 'x', statusDetails(14, 'x', detail)))
    assert.equal(delay(retryInfo(duration(3))), 3000)
    assert.equal(delay(retryInfo(duration(undefined, 250_000_000))), 250)
    assert.equal(delay(retryInfo(duration(0, 1_000_000))), 1)
    assert.equal(delay(retryInfo(undefined)), 0)
    const denied = statusDetails(Status.PERMISSION_DENIED, 'no', retryInfo(duration(5)))
    assert.deepEqual(classifyGrpcError(grpcError(Status.PERMISSION_DENIED, 'no', denied)), { kind: 'permanent' })
  })

  test('found among other details; other detail types alone give no hint', () => {
    const errorInfo = any('type.googleapis.com/google.rpc.ErrorInfo', new MessageWriter().bytes(1, 'QUOTA').finish())
    const both = statusDetails(Status.UNAVAILABLE, 'x', errorInfo, retryInfo(duration(4)))
    assert.equal(serverRetryDelay(grpcError(Status.UNAVAILABLE, 'x', both)), 4000)
    const only = statusDetails(Status.UNAVAILABLE, 'x', errorInfo)
    assert.equal(serverRetryDelay(grpcError(Status.UNAVAILABLE, 'x', only)), undefined)
    assert.deepEqual(classifyGrpcError(grpcError(Status.UNAVAILABLE, 'x', only)), {
      kind: 'transient',
      unreachable: true
    })
  })

  test('no trailers, no details, or malformed details: no hint, and nothing thrown', () => {
    assert.equal(serverRetryDelay(grpcError(Status.UNAVAILABLE)), undefined)
    assert.equal(serverRetryDelay({ code: Status.UNAVAILABLE }), undefined)
    assert.equal(serverRetryDelay({ code: Status.UNAVAILABLE, metadata: {} }), undefined)
    assert.equal(serverRetryDelay(null), undefined)
    const good = statusDetails(Status.UNAVAILABLE, 'x', retryInfo(duration(2)))
    for (let cut = 1; cut < good.length; cut++) {
      // Every cut either ends the status before its details or breaks a field: no hint either way.
      const truncated = Buffer.from(good.subarray(0, cut))
      assert.equal(serverRetryDelay(grpcError(Status.UNAVAILABLE, 'x', truncated)), undefined, `cut at ${cut}`)
    }
    assert.equal(serverRetryDelay(grpcError(Status.UNAVAILABLE, 'x', Buffer.from([0x0b]))), undefined)
  })
})

describe('refusals for size', () => {
  test("grpc-js's own refusal and the transport's are too large", () => {
    const received = grpcError(Status.RESOURCE_EXHAUSTED, 'Received message larger than max (5242880 vs. 4194304)')
    assert.deepEqual(classifyGrpcError(received), { kind: 'too-large' })
    const transport = new RequestTooLargeError(5_000_000, 4_194_304)
    assert.equal(transport.code, Status.RESOURCE_EXHAUSTED)
    assert.match(transport.message, /5000000 bytes, over the 4194304-byte limit; not sent/)
    assert.deepEqual(classifyGrpcError(transport), { kind: 'too-large' })
  })

  test("proxies' and other backends' wordings, in the details or only in the message", () => {
    for (const text of ['Request entity too large', 'grpc: message size exceeds limit', 'TOO LARGE']) {
      assert.equal(isTooLarge(grpcError(Status.RESOURCE_EXHAUSTED, text)), true, text)
      assert.equal(isTooLarge({ code: Status.RESOURCE_EXHAUSTED, message: text }), true, text)
    }
  })

  test('RESOURCE_EXHAUSTED that names no size is a quota: throttled, never split', () => {
    assert.deepEqual(classifyGrpcError(grpcError(Status.RESOURCE_EXHAUSTED, 'quota exceeded for tenant')), {
      kind: 'throttled'
    })
  })

  test('a size wording with RetryInfo is a quota with a hint, not a size refusal', () => {
    const bin = statusDetails(Status.RESOURCE_EXHAUSTED, 'x', retryInfo(duration(1)))
    const error = grpcError(Status.RESOURCE_EXHAUSTED, 'message size quota used up', bin)
    assert.equal(isTooLarge(error), false)
    assert.deepEqual(classifyGrpcError(error), { kind: 'throttled', retryAfterMillis: 1000 })
  })

  test('a size wording under another code is not a size refusal', () => {
    const error = grpcError(Status.INVALID_ARGUMENT, 'attribute value too large')
    assert.equal(isTooLarge(error), false)
    assert.deepEqual(classifyGrpcError(error), { kind: 'permanent' })
  })
})

describe("grpc-js's messages, tidied and with a hint", async () => {
  const { grpcErrorHint, tidyGrpcMessage } = await import('../../dist/sdk/export/grpc/grpc-hints.js')

  test('an empty resolution note and "Last error: null." are taken out, the rest kept as written', () => {
    assert.equal(
      tidyGrpcMessage(
        '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:24517. ' +
          'Resolution note: '
      ),
      '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:24517.'
    )
    assert.equal(
      tidyGrpcMessage('14 UNAVAILABLE: No connection established. Last error: null. Resolution note: '),
      '14 UNAVAILABLE: No connection established.'
    )
    const noted = '14 UNAVAILABLE: Name resolution failed. Resolution note: DNS lookup failed'
    assert.equal(tidyGrpcMessage(noted), noted)
  })

  test('hints by the cause in the text; none for plaintext TLS causes, none for what says enough', () => {
    const tls = { ca: 'ca' }
    assert.match(grpcErrorHint('14 UNAVAILABLE: Protocol error', undefined), /is it an OTLP\/HTTP port \(4318\)/)
    assert.match(grpcErrorHint('... self-signed certificate in certificate chain', {}), /name its CA/)
    assert.match(grpcErrorHint('... unable to verify the first certificate', tls), /does not verify against the CA file named/)
    assert.match(grpcErrorHint('... SSL alert number 116', tls), /requires a client certificate/)
    assert.match(grpcErrorHint('... wrong version number', tls), /does not speak TLS/)
    assert.match(grpcErrorHint('... tlsv1 alert no application protocol ... alert number 120', tls), /HTTP\/2 over TLS/)
    // A proxy answering 503 (its upstream down) is no port mistake.
    assert.equal(grpcErrorHint('14 UNAVAILABLE: Received HTTP status code 503', tls), undefined)
    assert.equal(grpcErrorHint('... self-signed certificate', undefined), undefined)
    assert.equal(grpcErrorHint('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:1', tls), undefined)
  })
})
