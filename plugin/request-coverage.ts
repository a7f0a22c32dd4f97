import type { Span } from '@opentelemetry/api'
import type { CoverageOwner, CoverageScope } from '../sdk/traces/child-spans.js'

/**
 * What a recorded request's context carries under COVERAGE_SCOPE: the request span, the children
 * collected under it, and the request's state while the request lasts (for a serializer or
 * validator that Fastify calls without the request, lifecycle-timing.ts).
 *
 * The state is let go when the request ends, and no child is collected after that. A context
 * outlives its request wherever an async resource created during the request keeps it (a timer,
 * a pooled connection, a socket). Holding the state from there kept each finished request's
 * objects (request, reply, their listeners) alive: with the preload, every young-generation garbage
 * collection copied them, at 25 ms a collection instead of 7 (docs/internals/performance.md,
 * "The preload row").
 */
export class RequestCoverage<State> implements CoverageScope, CoverageOwner {
  /** Direct children of the request span (sdk/traces/child-spans.ts), when the pipeline is ours. */
  children: Span[] | undefined = undefined

  constructor (
    readonly span: Span,
    /** The request's state (request-telemetry-state.ts); undefined once the request has ended. */
    public request: State | undefined
  ) {}

  /** The request ended (its state let go): its coverage is measured, later spans are not collected. */
  get closed (): boolean {
    return this.request === undefined
  }

  /** As a coverage scope, the request span collects its own children. */
  get owner (): CoverageOwner {
    return this
  }
}
