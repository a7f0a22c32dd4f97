import type { Attributes } from '@opentelemetry/api'
import type { Instrumentation } from '@opentelemetry/instrumentation'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ResolvedSdkConfig, SdkOptions, Setting } from '../sdk/config/options.js'
import type { LifecycleSpans, ResolvedLifecycleConfig } from './lifecycle-options.js'

export interface HeaderCapture {
  /** Request header names recorded as `http.request.header.<name>`. */
  request?: string[]
  /** Response header names recorded as `http.response.header.<name>`. */
  response?: string[]
}

export type SignalHandling = boolean | NodeJS.Signals[]

/** What `app.register(otelPlugin, options)` takes: the core's settings plus the request path's. */
export interface OtelPluginOptions extends SdkOptions {
  /** Add the W3C Trace Context Level 2 `traceresponse` header to replies. Default false. */
  traceResponseHeader?: boolean
  /** Requests that get no span: exact paths or route templates, or a predicate. */
  ignore?: string[] | ((request: FastifyRequest) => boolean)
  /** Names the request span. Default `METHOD /route/template`, or `METHOD` when nothing matched. */
  spanName?: (request: FastifyRequest) => string
  /** Extra attributes when the request span starts. */
  requestAttributes?: (request: FastifyRequest) => Attributes | undefined
  /** Extra attributes when the response has finished. */
  responseAttributes?: (request: FastifyRequest, reply: FastifyReply) => Attributes | undefined
  /** Header values to record, from an explicit allow-list only. */
  captureHeaders?: HeaderCapture
  /** Query keys whose values become `REDACTED` in `url.query` (added to the standard list). */
  redactQueryParams?: string[]
  /** Add trace_id, span_id and trace_flags to every `request.log` line. Default true. */
  logCorrelation?: boolean
  /** Flush (and close the app) on these signals, unless the app handles them. Default true (SIGTERM, SIGINT). */
  handleSignals?: SignalHandling
  /**
   * Instrumentations to enable at registration (instrumentation-pg and the like). They only see
   * modules loaded after this; the preload entry (`--import fastify-otel-kit/register`) enables
   * instrumentations before the application loads.
   */
  instrumentations?: Instrumentation[]
  /**
   * Spans for the request's hooks, handler and Fastify's own phases (body parsing, validation,
   * serialization): `off`, `slow` (those that took `slowThresholdMillis` or longer) or `all`
   * (every hook and the handler, as @fastify/otel makes them). Default `slow`. A route can
   * override it with `config: { otel: { lifecycleSpans } }` (docs/guides/where-did-the-time-go.md).
   */
  lifecycleSpans?: LifecycleSpans
  /** What `slow` means, in milliseconds. Default 10. */
  slowThresholdMillis?: number
  /**
   * A synchronous stretch inside a hook or the handler at least this long becomes an
   * `event_loop.blocked` event on the request span (not with `lifecycleSpans: 'off'`). Default 10.
   */
  blockingThresholdMillis?: number
}

/** Everything the plugin runs with, each value with its source. Exposed as `app.otel.config`. */
export interface ResolvedConfig extends ResolvedSdkConfig, ResolvedLifecycleConfig {
  /** The HTTP methods the request spans and metrics know (OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS). */
  knownHttpMethods: Setting<string[]>
  traceResponseHeader: Setting<boolean>
  logCorrelation: Setting<boolean>
  handleSignals: Setting<NodeJS.Signals[]>
}

/** The options only the plugin reads (the core's are SDK_OPTION_KEYS). */
export const PLUGIN_OPTION_KEYS: readonly string[] = Object.freeze([
  'traceResponseHeader',
  'ignore',
  'spanName',
  'requestAttributes',
  'responseAttributes',
  'captureHeaders',
  'redactQueryParams',
  'logCorrelation',
  'handleSignals',
  'instrumentations',
  'lifecycleSpans',
  'slowThresholdMillis',
  'blockingThresholdMillis'
])
