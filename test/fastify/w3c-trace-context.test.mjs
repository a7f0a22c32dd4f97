// W3C Trace Context as currently specified (w3c/trace-context, spec/20-http_request_header_format.md
// and the Level 2 traceresponse header), through the public API and through real requests; and
// every place where this differs from OpenTelemetry JS, shown by running both.
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api'
import { TraceState, W3CTraceContextPropagator as OtelW3CPropagator } from '@opentelemetry/core'
import { TracerProvider } from '@opentelemetry/sdk-trace'
// The propagator and the tracestate list are internal (not in the package's public API): the
// plugin uses them for every request, and these tests hold them to the specification.
import { StrictTraceState } from '../../dist/context/trace-state.js'
import {
  isValidSpanContext,
  LOCAL_ROOT_CONTEXT,
  parseTraceParent,
  W3CTraceContextPropagator
} from '../../dist/context/w3c-trace-context.js'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { describe, test } from 'node:test'
import {
  INBOUND_SPAN_ID,
  INBOUND_TRACE_ID,
  idOf,
  sampledParent,
  serve,
  traceOf,
  tracedApp,
  unsampledParent
} from '../helpers.mjs'

const kit = new W3CTraceContextPropagator()
const otel = new OtelW3CPropagator()
const TRACEPARENT_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/

/** Extracts `carrier` with `propagator` and returns the span context found (or undefined). */
function extracted (propagator, carrier) {
  return trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter))
}

/** Extracts and re-injects the same context: what a pass-through hop sends on. */
function passedOn (propagator, carrier) {
  const out = {}
  propagator.inject(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter), out, defaultTextMapSetter)
  return out
}

/** The tracestate our propagator keeps for this header value (undefined: dropped). */
function kept (tracestate) {
  return extracted(kit, { traceparent: sampledParent, tracestate })?.traceState?.serialize()
}

const members = (n, make = (i) => `k${i}=v${i}`) => Array.from({ length: n }, (_, i) => make(i))

describe('tracestate: the current key grammar', () => {
  test('keys with @ anywhere after the first character, digits first, up to 256 characters', () => {
    for (const key of [
      'foo@',
      'foo@@bar',
      'foo@bar@baz',
      't@' + 'v'.repeat(15),
      't'.repeat(241) + '@' + 'v'.repeat(14),
      't'.repeat(242) + '@v',
      'z'.repeat(256),
      '1abc',
      '0',
      'a_b-c*d/e@f'
    ]) {
      assert.equal(kept(`${key}=1,bar=2`), `${key}=1,bar=2`, key.slice(0, 40))
    }
  })

  test('a key that breaks the grammar drops the whole header, the traceparent stays', () => {
    for (const bad of ['@foo=1', 'FOO=1', 'foo.bar=1', 'foo =1', `${'z'.repeat(257)}=1`, '_a=1', '=1', 'foo']) {
      const spanContext = extracted(kit, { traceparent: sampledParent, tracestate: `${bad},bar=2` })
      assert.equal(spanContext.traceId, INBOUND_TRACE_ID)
      assert.equal(spanContext.traceState, undefined, bad.slice(0, 40))
    }
  })
})

describe('tracestate: values, members, fields', () => {
  test('values: every allowed character, leading spaces kept, trailing white space dropped, at most 256', () => {
    const all = [
      [0x20, 0x2b],
      [0x2d, 0x3c],
      [0x3e, 0x7e]
    ]
      .flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => String.fromCharCode(a + i)))
      .join('')
    assert.equal(kept(`foo=${all}`), `foo=${all}`)
    assert.equal(kept('foo=  x'), 'foo=  x')
    assert.equal(kept('foo=x \t ,bar=2'), 'foo=x,bar=2')
    assert.equal(kept(`foo=${'v'.repeat(256)}`), `foo=${'v'.repeat(256)}`)
    for (const bad of [
      `foo=${'v'.repeat(257)}`,
      'foo=bar=baz',
      'foo=,bar=3',
      'foo= ',
      'foo=a\tb',
      'foo=caf\u00e9',
      'foo=a\nb'
    ]) {
      assert.equal(kept(bad), undefined, JSON.stringify(bad).slice(0, 40))
    }
  })

  test('empty and whitespace-only members are allowed and skipped; an empty header is accepted and not sent on', () => {
    assert.equal(kept(',, foo=1 ,\t, ,bar=2,'), 'foo=1,bar=2')
    assert.equal(kept(''), undefined)
    assert.equal(kept(' \t '), undefined)
    assert.equal(passedOn(kit, { traceparent: sampledParent, tracestate: ' , ' }).tracestate, undefined)
  })

  test('32 members are kept, 33 drop the header; empty members do not count', () => {
    assert.equal(kept(members(32).join(',')), members(32).join(','))
    assert.equal(kept(members(32).join(',,') + ', ,'), members(32).join(','))
    assert.equal(kept(members(33).join(',')), undefined)
  })

  test('several tracestate fields are one list, combined in order', () => {
    const carrier = { traceparent: sampledParent, tracestate: ['foo=1,bar=2', 'rojo=1,congo=2', '', 'baz=3'] }
    assert.equal(extracted(kit, carrier).traceState.serialize(), 'foo=1,bar=2,rojo=1,congo=2,baz=3')
    const split32 = [members(10).join(','), members(20, (i) => `m${i}=v`).join(','), 'x=1,y=2']
    assert.equal(extracted(kit, { traceparent: sampledParent, tracestate: split32 }).traceState.size, 32)
    const split33 = [...split32.slice(0, 2), 'x=1,y=2,z=3']
    assert.equal(extracted(kit, { traceparent: sampledParent, tracestate: split33 }).traceState, undefined)
  })

  test('a duplicated key keeps the header: the first (leftmost, most recent) occurrence stays', () => {
    assert.equal(kept('foo=1,bar=2,foo=3'), 'foo=1,bar=2')
    assert.equal(kept('foo=1,foo=1'), 'foo=1')
    assert.equal(
      extracted(kit, { traceparent: sampledParent, tracestate: ['foo=1', 'foo=2'] }).traceState.serialize(),
      'foo=1'
    )
  })

  test('no traceparent, or an invalid one: the tracestate is not looked at', () => {
    assert.equal(extracted(kit, { tracestate: 'foo=1' }), undefined)
    assert.equal(extracted(kit, { traceparent: 'garbage', tracestate: 'foo=1' }), undefined)
  })
})

describe('tracestate: read on arrival, split on demand', () => {
  test('a valid list goes out as it came in; get, size, set and unset see every member', () => {
    const header = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,foo@=1'
    assert.equal(passedOn(kit, { traceparent: sampledParent, tracestate: header }).tracestate, header)
    const state = StrictTraceState.parse(header)
    assert.equal(state.get('congo'), 't61rcWkgMzE')
    assert.equal(state.size, 3)
    assert.equal(state.serialize(), header)
    assert.equal(state.set('congo', 'new').serialize(), 'congo=new,rojo=00f067aa0ba902b7,foo@=1')
    assert.equal(state.unset('rojo').serialize(), 'congo=t61rcWkgMzE,foo@=1')
    assert.equal(state.unset('absent'), state)
    const single = StrictTraceState.parse('vendor=abc')
    assert.equal(single.serialize(), 'vendor=abc')
    assert.equal(single.get('vendor'), 'abc')
    assert.equal(single.size, 1)
  })

  test('a list written loosely is sent written plainly', () => {
    assert.equal(StrictTraceState.parse(' vendor=abc\t').serialize(), 'vendor=abc')
    assert.equal(StrictTraceState.parse('vendor=abc,').serialize(), 'vendor=abc')
    assert.equal(StrictTraceState.parse('a=1,b=2,a=3').serialize(), 'a=1,b=2')
  })
})

describe('tracestate: mutation and injection', () => {
  test('set moves the key to the front; a 33rd member pushes out the right-most', () => {
    const state = StrictTraceState.parse(members(32).join(','))
    const updated = state.set('k5', 'new').set('mine', 'x')
    assert.equal(updated.size, 32)
    assert.deepEqual(updated.serialize().split(',').slice(0, 3), ['mine=x', 'k5=new', 'k0=v0'])
    assert.equal(updated.get('k31'), undefined)
    assert.equal(updated.get('k30'), 'v30')
    assert.equal(state.set('BAD', 'x'), state)
  })

  test('injection cuts to 512 characters by whole members: over 128 characters first (from the right), ' +
    'then from the end', () => {
    const long = (k, n) => `${k}=${'x'.repeat(n - k.length - 1)}`
    // 6 x 100 + 2 x 200 characters: the two long ones go first, then short ones from the end.
    const list = [
      long('a', 100),
      long('b', 200),
      long('c', 100),
      long('d', 100),
      long('e', 200),
      long('f', 100),
      long('g', 100),
      long('h', 100)
    ]
    const state = StrictTraceState.parse(list.join(','))
    assert.equal(state.size, 8)
    const serialized = state.serialize()
    assert.deepEqual(
      serialized.split(',').map((m) => m[0]),
      ['a', 'c', 'd', 'f', 'g']
    )
    assert.ok(serialized.length <= 512)
    const out = passedOn(kit, { traceparent: sampledParent, tracestate: list.join(',') })
    assert.equal(out.tracestate, serialized)
    // No more than needed: the right-most long member is enough here.
    assert.equal(
      StrictTraceState.parse([long('a', 250), long('b', 200), long('c', 100)].join(',')).serialize(),
      [long('a', 250), long('c', 100)].join(',')
    )
  })

  test('never a tracestate without a traceparent', () => {
    const state = StrictTraceState.parse('foo=1')
    for (const spanContext of [
      { traceId: '0'.repeat(32), spanId: INBOUND_SPAN_ID, traceFlags: 1, traceState: state },
      { traceId: INBOUND_TRACE_ID, spanId: 'nothex!!nothex!!', traceFlags: 1, traceState: state }
    ]) {
      const out = {}
      kit.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), out, defaultTextMapSetter)
      assert.deepEqual(out, {})
    }
  })

  test('a trace state of another make is checked and cut like our own', () => {
    const foreign = (text) => ({
      serialize: () => text,
      get: () => undefined,
      set () {
        return this
      },
      unset () {
        return this
      }
    })
    const inject = (traceState) => {
      const out = {}
      kit.inject(
        trace.setSpanContext(ROOT_CONTEXT, {
          traceId: INBOUND_TRACE_ID,
          spanId: INBOUND_SPAN_ID,
          traceFlags: 1,
          traceState
        }),
        out,
        defaultTextMapSetter
      )
      return out
    }
    assert.equal(inject(foreign('a=1\r\nx-evil: 1')).tracestate, undefined)
    assert.equal(inject(foreign(members(40).join(','))).tracestate, undefined)
    assert.equal(inject(new TraceState('vendor=1,other=2')).tracestate, 'vendor=1,other=2')
    assert.equal(inject(foreign(42)).traceparent, `00-${INBOUND_TRACE_ID}-${INBOUND_SPAN_ID}-01`)
  })
})

describe('traceparent', () => {
  test('version 00 is exact; a higher version is read leniently; ff is invalid', () => {
    const ids = `${INBOUND_TRACE_ID}-${INBOUND_SPAN_ID}`
    assert.deepEqual(parseTraceParent(`00-${ids}-01`), { traceId: INBOUND_TRACE_ID, spanId: INBOUND_SPAN_ID, flags: 1 })
    assert.equal(parseTraceParent(`00-${ids}-01.`), undefined)
    assert.equal(parseTraceParent(`00-${ids}-01-what-the-future-will-be-like`), undefined)
    assert.equal(parseTraceParent(`cc-${ids}-01`)?.traceId, INBOUND_TRACE_ID)
    assert.equal(parseTraceParent(`cc-${ids}-01-what-the-future-will-be-like`)?.traceId, INBOUND_TRACE_ID)
    assert.equal(parseTraceParent(`cc-${ids}-01.what-the-future-will-be-like`), undefined)
    assert.equal(parseTraceParent(`ff-${ids}-01`), undefined)
    for (const bad of [
      `.0-${ids}-01`,
      `0-${ids}-01`,
      `000-${ids}-01`,
      `00-${ids}-.0`,
      `00-${ids}-1`,
      `00-${ids}-001`,
      `00-${'0'.repeat(32)}-${INBOUND_SPAN_ID}-01`,
      `00-${INBOUND_TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${INBOUND_TRACE_ID.toUpperCase()}-${INBOUND_SPAN_ID}-01`,
      `00-${INBOUND_TRACE_ID}1-${INBOUND_SPAN_ID}-01`
    ]) {
      assert.equal(parseTraceParent(bad), undefined, bad)
    }
  })

  test('space and tab around the value are optional white space', () => {
    for (const padded of [` ${sampledParent}`, `\t${sampledParent}`, `${sampledParent} `, `\t ${sampledParent} \t`]) {
      assert.equal(parseTraceParent(padded)?.spanId, INBOUND_SPAN_ID, JSON.stringify(padded))
    }
    assert.equal(parseTraceParent(`\n${sampledParent}`), undefined)
  })

  test('flags: sampled and random are passed on, reserved bits are sent as zero', () => {
    const flagsOut = (flags) =>
      passedOn(kit, { traceparent: sampledParent.replace(/01$/, flags) }).traceparent.slice(53)
    assert.deepEqual(['00', '01', '02', '03', '09', 'ff', 'fc'].map(flagsOut), [
      '00',
      '01',
      '02',
      '03',
      '01',
      '03',
      '00'
    ])
  })

  test('the random flag on a context that started a trace here: ' +
    'extraction on top of it says only what its traceparent says', () => {
    const flagsOut = (traceparent) => {
      const out = {}
      kit.inject(kit.extract(LOCAL_ROOT_CONTEXT, { traceparent }, defaultTextMapGetter), out, defaultTextMapSetter)
      return out.traceparent.slice(53)
    }
    assert.equal(flagsOut(sampledParent), '01')
    assert.equal(flagsOut(sampledParent.replace(/01$/, '03')), '03')
    const started = {}
    const own = trace.setSpanContext(LOCAL_ROOT_CONTEXT, {
      traceId: '5'.repeat(32),
      spanId: '6'.repeat(16),
      traceFlags: 1
    })
    kit.inject(own, started, defaultTextMapSetter)
    assert.equal(started.traceparent.slice(53), '03')
  })

  test('ids are lower-case hex: upper case is refused (the API check this package relies on since API 1.10)', () => {
    assert.equal(isValidSpanContext({ traceId: INBOUND_TRACE_ID, spanId: INBOUND_SPAN_ID, traceFlags: 1 }), true)
    assert.equal(
      isValidSpanContext({ traceId: INBOUND_TRACE_ID.toUpperCase(), spanId: INBOUND_SPAN_ID, traceFlags: 1 }),
      false
    )
    assert.equal(
      isValidSpanContext({ traceId: INBOUND_TRACE_ID, spanId: INBOUND_SPAN_ID.toUpperCase(), traceFlags: 1 }),
      false
    )
    assert.equal(isValidSpanContext(undefined), false)
    const out = {}
    kit.inject(
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId: INBOUND_TRACE_ID.toUpperCase(),
        spanId: INBOUND_SPAN_ID,
        traceFlags: 1
      }),
      out,
      defaultTextMapSetter
    )
    assert.deepEqual(out, {})
  })

  test('two traceparent fields are ambiguous: a new trace', () => {
    assert.equal(extracted(kit, { traceparent: [sampledParent, sampledParent.replace('4bf9', '1119')] }), undefined)
  })
})

describe('through the plugin, over a real socket', () => {
  test('repeated tracestate header fields arrive combined and are passed on in order', async (t) => {
    const { app, spanNamed } = await tracedApp(t)
    app.get('/ts', async (request) => request.otel.inject({}))
    const url = await serve(app)
    const body = await new Promise((resolve, reject) => {
      const req = httpRequest(`${url}/ts`, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve(JSON.parse(text)))
      })
      req.setHeader('traceparent', sampledParent)
      req.setHeader('tracestate', ['rojo=00f067aa0ba902b7', '', 'congo=t61rcWkgMzE,foo@=1', 'rojo=older'])
      req.on('error', reject)
      req.end()
    })
    assert.equal(body.tracestate, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,foo@=1')
    const span = await spanNamed('GET /ts')
    assert.equal(span.spanContext().traceState.serialize(), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,foo@=1')
    assert.equal(body.traceparent, `00-${INBOUND_TRACE_ID}-${idOf(span)}-01`)
  })

  test('traceresponse: version 00, the server span ids, the sampled flag and the random flag by the ' +
    'traceparent rules', async (t) => {
    const { app, spans } = await tracedApp(t, { options: { traceResponseHeader: true } })
    app.get('/tr', async () => 'ok')
    const response = async (traceparent) =>
      (await app.inject({ url: '/tr', headers: traceparent === undefined ? {} : { traceparent } })).headers
        .traceresponse
    const started = await response(undefined)
    assert.match(started, TRACEPARENT_00)
    assert.match(started, /-03$/, 'a trace started here has a random trace id, and is sampled')
    const sampled = await response(sampledParent)
    const recorded = (await spans()).find((s) => traceOf(s) === INBOUND_TRACE_ID)
    assert.equal(sampled, `00-${INBOUND_TRACE_ID}-${idOf(recorded)}-01`)
    assert.match(
      await response(sampledParent.replace(/01$/, '03')),
      new RegExp(`^00-${INBOUND_TRACE_ID}-[0-9a-f]{16}-03$`)
    )
    assert.match(await response(unsampledParent), /-00$/)
    assert.match(await response(unsampledParent.replace(/00$/, '02')), /-02$/)
    assert.match(await response(sampledParent.replace(/01$/, 'fd')), /-01$/)
  })
})

describe('where this differs from OpenTelemetry JS (each case run through both)', () => {
  const both = (carrier) => ({ kit: passedOn(kit, carrier), otel: passedOn(otel, carrier) })

  test('Level 2 tracestate keys: kept here, skipped by OpenTelemetry JS', () => {
    const { kit: ours, otel: theirs } = both({
      traceparent: sampledParent,
      tracestate: 'foo@bar@baz=1,1abc=2,t@vvvvvvvvvvvvvvv=3,ok=4'
    })
    assert.equal(ours.tracestate, 'foo@bar@baz=1,1abc=2,t@vvvvvvvvvvvvvvv=3,ok=4')
    assert.equal(theirs.tracestate, 'ok=4')
  })

  test('an invalid member: the whole header dropped here, only that member there', () => {
    const { kit: ours, otel: theirs } = both({ traceparent: sampledParent, tracestate: 'a=1,B=2,c=3' })
    assert.equal(ours.tracestate, undefined)
    assert.equal(theirs.tracestate, 'a=1,c=3')
  })

  test('an empty tracestate is never sent here; OpenTelemetry JS sends "tracestate: " when no member survived', () => {
    const { kit: ours, otel: theirs } = both({ traceparent: sampledParent, tracestate: 'B=1' })
    assert.equal(ours.tracestate, undefined)
    assert.equal(theirs.tracestate, '')
  })

  test('a duplicated key: the first occurrence here, the last value there', () => {
    const { kit: ours, otel: theirs } = both({ traceparent: sampledParent, tracestate: 'foo=1,bar=2,foo=3' })
    assert.equal(ours.tracestate, 'foo=1,bar=2')
    assert.equal(theirs.tracestate, 'foo=3,bar=2')
  })

  test('33 members: the header dropped here (as the W3C test harness asks), the first 32 kept there', () => {
    const { kit: ours, otel: theirs } = both({ traceparent: sampledParent, tracestate: members(33).join(',') })
    assert.equal(ours.tracestate, undefined)
    assert.equal(theirs.tracestate.split(',').length, 32)
  })

  test('over 512 characters: long members go first here; OpenTelemetry JS skips whatever no longer fits ' +
    'while parsing', () => {
    const list = [`a=${'x'.repeat(100)}`, `b=${'y'.repeat(250)}`, `c=${'z'.repeat(100)}`, `d=${'w'.repeat(100)}`].join(
      ','
    )
    const { kit: ours, otel: theirs } = both({ traceparent: sampledParent, tracestate: list })
    assert.deepEqual(
      ours.tracestate.split(',').map((m) => m[0]),
      ['a', 'c', 'd']
    )
    assert.deepEqual(
      theirs.tracestate.split(',').map((m) => m[0]),
      ['a', 'b', 'c']
    )
  })

  test('set at 32 members: the right-most goes, here as in OpenTelemetry JS (core 3 stopped growing to 33)', () => {
    const list = members(32).join(',')
    assert.equal(StrictTraceState.parse(list).set('mine', 'x').serialize().split(',').length, 32)
    assert.equal(new TraceState(list).set('mine', 'x').serialize().split(',').length, 32)
  })

  test('set beyond 512 characters: the new entry goes in front and old ones are cut here; ' +
    'OpenTelemetry JS refuses the new entry', () => {
    const list = `a=${'x'.repeat(250)},b=${'y'.repeat(255)}`
    assert.equal(StrictTraceState.parse(list).set('mine', 'v').serialize(), `mine=v,a=${'x'.repeat(250)}`)
    assert.equal(new TraceState(list).set('mine', 'v').get('mine'), undefined)
  })

  test('reserved trace-flags bits: sent as zero here, passed on (even as a malformed "0ff") there', () => {
    for (const [flags, ours, theirs] of [
      ['09', '01', '09'],
      ['ff', '03', '0ff']
    ]) {
      const result = both({ traceparent: sampledParent.replace(/01$/, flags) })
      assert.equal(result.kit.traceparent.slice(53), ours)
      assert.equal(result.otel.traceparent.slice(53), theirs)
    }
    assert.doesNotMatch(both({ traceparent: sampledParent.replace(/01$/, 'ff') }).otel.traceparent, TRACEPARENT_00)
  })

  test('the random flag survives a child span here; the SDK span drops it there', () => {
    const tracer = new TracerProvider().getTracer('w3c-test')
    const childHeaders = (propagator) => {
      const parent = propagator.extract(
        ROOT_CONTEXT,
        { traceparent: sampledParent.replace(/01$/, '03') },
        defaultTextMapGetter
      )
      const child = tracer.startSpan('child', {}, parent)
      assert.equal(child.spanContext().traceFlags, TraceFlags.SAMPLED)
      const out = {}
      propagator.inject(trace.setSpan(parent, child), out, defaultTextMapSetter)
      return out.traceparent
    }
    assert.match(childHeaders(kit), /-03$/)
    assert.match(childHeaders(otel), /-01$/)
  })

  test('two traceparent fields: a new trace here, the first one used there', () => {
    const carrier = { traceparent: [sampledParent, sampledParent.replace('4bf9', '1119')] }
    assert.equal(extracted(kit, carrier), undefined)
    assert.equal(extracted(otel, carrier).traceId, INBOUND_TRACE_ID)
  })

  test('optional white space: any run of spaces and tabs here, at most one character there', () => {
    const carrier = { traceparent: ` \t${sampledParent}` }
    assert.equal(extracted(kit, carrier)?.traceId, INBOUND_TRACE_ID)
    assert.equal(extracted(otel, carrier), undefined)
  })
})
