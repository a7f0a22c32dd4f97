import { type Context, createContextKey, type Span } from '@opentelemetry/api'
import { trace } from '../../context/otel-api.js'

/**
 * The direct children of a span whose coverage is wanted (the request span), collected as they
 * start. The span's context carries a CoverageScope under COVERAGE_SCOPE; the processor chain
 * calls collectChild for every span the pipeline starts, so a child is seen whoever started it
 * (the application's tracer, an instrumentation, the workers' dispatch span) at the cost of one
 * context lookup per started span, and nothing per request that starts none.
 */
export const COVERAGE_SCOPE = createContextKey('fastify-otel-kit coverage scope')

/** Whose children are collected, and where they go. */
export interface CoverageOwner {
  readonly span: Span
  /** Undefined until the first child starts: most requests have few, many have none. */
  children: Span[] | undefined
  /**
   * Set when the owner has read its children (the request ended): a span started later under a
   * context that outlived the request (a timer, a pooled connection set up in it) is not kept.
   */
  readonly closed?: boolean
}

/**
 * What a context carries under COVERAGE_SCOPE. A span started under `span` is a child of `owner`:
 * the request span is its own scope, and a lifecycle span standing in for part of the request
 * (`lifecycleSpans: 'all'` makes each hook's span active while the hook runs) passes its children
 * on to the request, so the request's coverage does not depend on the lifecycle span mode.
 */
export interface CoverageScope {
  readonly span: Span
  readonly owner: CoverageOwner
}

/** Spans started while this is above zero are the package's own lifecycle spans: never collected. */
let suspended = 0

/** Called by the processor chain for every span started in the pipeline. */
export function collectChild (span: Span, parentContext: Context): void {
  if (suspended > 0) return
  const scope = parentContext.getValue(COVERAGE_SCOPE) as CoverageScope | undefined
  if (scope === undefined || trace.getSpan(parentContext) !== scope.span) return
  const owner = scope.owner
  if (owner.closed === true) return
  if (owner.children === undefined) owner.children = [span]
  else owner.children.push(span)
}

/**
 * Starts spans that explain a request's time rather than cover it (hook, handler and phase spans):
 * `start` runs with collection suspended. Synchronous, so nothing else starts a span meanwhile.
 */
export function startUncollected<T> (start: () => T): T {
  suspended++
  try {
    return start()
  } finally {
    suspended--
  }
}
