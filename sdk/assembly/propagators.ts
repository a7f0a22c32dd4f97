import type { TextMapPropagator } from '@opentelemetry/api'
import { W3CBaggagePropagator } from '@opentelemetry/core'
import { B3Propagator } from '../../context/b3.js'
import { ExtractOnlyPropagator, NoPropagator, PriorityCompositePropagator } from '../../context/composite-propagator.js'
import { W3CTraceContextPropagator } from '../../context/w3c-trace-context.js'
import type { PropagatorName } from '../config/options.js'

/** One propagator per name, in extraction priority; `extractOnly` turns every injection off. */
export function buildPropagator (
  names: readonly (PropagatorName | 'custom')[],
  custom: TextMapPropagator | undefined,
  extractOnly: boolean
): TextMapPropagator {
  const built = custom ?? composite(names)
  return extractOnly ? new ExtractOnlyPropagator(built) : built
}

function composite (names: readonly (PropagatorName | 'custom')[]): TextMapPropagator {
  // eslint-disable-next-line array-callback-return -- the switch covers every name; TypeScript checks that it does
  const propagators = names.flatMap((name): TextMapPropagator[] => {
    switch (name) {
      case 'tracecontext':
        return [new W3CTraceContextPropagator()]
      case 'baggage':
        return [new W3CBaggagePropagator()]
      case 'b3':
        return [new B3Propagator({ inject: 'single' })]
      case 'b3multi':
        return [new B3Propagator({ inject: 'multi' })]
      case 'none':
      case 'custom':
        return []
    }
  })
  if (propagators.length === 0) return new NoPropagator()
  return propagators.length === 1 ? propagators[0]! : new PriorityCompositePropagator(propagators)
}
