import { type Context, createContextKey } from '@opentelemetry/api'
import { context, diag } from './otel-api.js'
import { toContext } from './carrier.js'
import { enterContext } from './context-manager.js'

/**
 * Runs `fn` with the given context (a carrier from captureContext, or a Context) active, and
 * restores the previous context afterwards, also when `fn` throws or rejects. Returns what `fn`
 * returns; an async `fn` keeps the context across its awaits.
 *
 * This is the default way to restore a context: the scope ends exactly where `fn` ends, so
 * nothing can leak into the next task that reuses the thread.
 */
export function withContext<T> (carrierOrContext: unknown, fn: () => T): T {
  return context.with(toContext(carrierOrContext), fn)
}

/** Where attach keeps its token inside the context it makes active. */
const ATTACHMENT = createContextKey('fastify-otel-kit attachment')

declare const opaque: unique symbol

/** Returned by attach; give it back to detach. Opaque: there is nothing to read or call on it. */
export interface ContextToken {
  readonly [opaque]: 'ContextToken'
}

/** A token's state, kept off the public type so no caller can mark a token detached. */
class Attachment implements ContextToken {
  declare readonly [opaque]: 'ContextToken'
  detached = false
  constructor (readonly previous: Context) {}
}

/**
 * Makes a context active until `detach(token)`, for code that cannot be wrapped in a callback
 * (the seed's Python `context.attach`). Prefer withContext: with attach, forgetting detach leaks
 * the context into whatever runs next on this thread.
 */
export function attach (carrierOrContext: unknown): ContextToken {
  const token = new Attachment(context.active())
  if (!enterContext(toContext(carrierOrContext).setValue(ATTACHMENT, token))) {
    diag.warn('fastify-otel-kit: attach has no effect: no AsyncLocalStorage context manager is registered (register the plugin, or use withContext)')
    token.detached = true
  }
  return token
}

/**
 * Restores what was active before `attach` returned `token`. Detaching twice, detaching a token
 * whose context is not the active one (out of order, or from another async flow) is reported
 * through diag and never corrupts the active context: an out-of-order token is only marked, and
 * skipped when the attachment above it is detached.
 */
export function detach (token: ContextToken): void {
  if (!(token instanceof Attachment)) {
    diag.warn('fastify-otel-kit: detach needs the token that attach returned; ignored')
    return
  }
  if (token.detached) {
    diag.warn('fastify-otel-kit: detach called twice for the same token; ignored')
    return
  }
  token.detached = true
  if (context.active().getValue(ATTACHMENT) !== token) {
    diag.warn('fastify-otel-kit: detach out of order: another attached context is active; it stays active, and this one is skipped when that one is detached')
    return
  }
  let target = token.previous
  let below = target.getValue(ATTACHMENT) as Attachment | undefined
  while (below?.detached === true) {
    target = below.previous
    below = target.getValue(ATTACHMENT) as Attachment | undefined
  }
  enterContext(target)
}
