import { type ContextManagementToken, type ContextManager, createContextKey } from '@opentelemetry/api'
import { globalContextManager } from './context-manager.js'
import { context, diag } from './otel-api.js'
import { toContext } from './carrier.js'

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

/**
 * - attached: active, or below another attachment;
 * - skipped: detached out of order, its scope still open until the attachment above it goes;
 * - detached: its scope disposed;
 * - ineffective: attach had no effect, so detach has nothing to do.
 */
type AttachmentState = 'attached' | 'skipped' | 'detached' | 'ineffective'

/** A token's state, kept off the public type so no caller can mark a token detached. */
class Attachment implements ContextToken {
  declare readonly [opaque]: 'ContextToken'
  state: AttachmentState = 'attached'
  /** The context manager's own token (API 1.10 `context.attach`). */
  scope: ContextManagementToken | undefined
}

/**
 * Makes a context active until `detach(token)`, for code that cannot be wrapped in a callback
 * (as OpenTelemetry Python's `context.attach`). Prefer withContext: with attach, forgetting detach
 * leaks the context into whatever runs next on this thread.
 *
 * Built on the API's `context.attach` (1.10, experimental), which OpenTelemetry's AsyncLocalStorage
 * context manager implements with `AsyncLocalStorage.withScope()` where Node has it (Node 26, and
 * recent Node 24 releases) and `enterWith()` elsewhere (Node 22). What this adds: detach order is
 * checked, and an attach that did not take effect is reported (with no context manager
 * registered, the API accepts it silently).
 */
export function attach (carrierOrContext: unknown): ContextToken {
  const token = new Attachment()
  const attached = toContext(carrierOrContext).setValue(ATTACHMENT, token)
  token.scope = context.attach(attached)
  // Checked once per registered manager: one that attached once attaches (it is the same code).
  const manager = globalContextManager()
  if (manager === attaching && manager !== undefined) return token
  if (context.active() === attached) {
    attaching = manager
  } else {
    diag.warn(
      'fastify-otel-kit: attach has no effect: the registered context manager cannot attach ' +
        '(none is registered, or one older than OpenTelemetry API 1.10); register the plugin or call ' +
        'ensureContextManager(), or use withContext'
    )
    token.state = 'ineffective'
  }
  return token
}

/** The registered context manager, once an attach through it took effect. */
let attaching: ContextManager | undefined

/**
 * Restores what was active before `attach` returned `token`. Detaching twice, detaching a token
 * whose context is not the active one (out of order, or from another async flow) is reported
 * through diag and never corrupts the active context: an out-of-order token is only marked, and
 * skipped when the attachment above it is detached.
 *
 * The context manager's scopes are therefore always disposed in reverse order of creation: a
 * scope disposed out of order restores its own previous context, and the one disposed after it
 * brings the first one's context back (Node's RunScope and the manager's enterWith fallback
 * both do exactly that).
 */
export function detach (token: ContextToken): void {
  if (!(token instanceof Attachment)) {
    diag.warn('fastify-otel-kit: detach needs the token that attach returned; ignored')
    return
  }
  switch (token.state) {
    case 'ineffective':
      return // attach warned already; there is nothing to undo
    case 'skipped':
    case 'detached':
      diag.warn('fastify-otel-kit: detach called twice for the same token; ignored')
      return
  }
  if (activeAttachment() !== token) {
    token.state = 'skipped'
    skipped++
    diag.warn(
      'fastify-otel-kit: detach out of order: another attached context is active; ' +
        'it stays active, and this one is skipped when that one is detached'
    )
    return
  }
  dispose(token)
  // Attachments below that were detached out of order go now, each once it is on top.
  if (skipped === 0) return
  for (let below = activeAttachment(); below?.state === 'skipped'; below = activeAttachment()) {
    skipped--
    dispose(below)
  }
}

/** How many tokens are skipped (detached out of order) and still wait: none, nearly always. */
let skipped = 0

function dispose (attachment: Attachment): void {
  attachment.state = 'detached'
  attachment.scope!.dispose()
}

function activeAttachment (): Attachment | undefined {
  const value = context.active().getValue(ATTACHMENT)
  return value instanceof Attachment ? value : undefined
}
