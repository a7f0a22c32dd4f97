import type { Attributes } from '@opentelemetry/api'
import { type RawResourceAttribute, type Resource, resourceFromAttributes } from '@opentelemetry/resources'

/** Who settled the identity: a plugin registration, or the first export that needed it. */
export type SettledBy = 'plugin' | 'export'

/**
 * The preload's resource. The preload assembles the SDK before the application runs, so the
 * service's identity (service.name and the other configured attributes) may still come from the
 * plugin's options, which are only known when the application registers the plugin. Until then
 * the identity stays open; it is settled once, by the first of:
 *
 * - a plugin registration that shares this SDK, with what its options and the environment resolve
 *   to (the environment still wins, as everywhere);
 * - the first export, which has to write the resource down: it finds the resource pending, asks
 *   it to wait (`waitForAsyncAttributes`, which every export queue does before serialising), and
 *   the identity is settled as the preload resolved it.
 *
 * Every span and log record holds this one object, so all of them, including the ones made
 * before the plugin registered, go out with the settled identity, and nothing is ever exported
 * with one identity and then another.
 */
export class PendingIdentityResource implements Resource {
  readonly #detected: Resource
  #identity: Attributes
  #settledBy: SettledBy | undefined
  #attributes: Attributes | undefined
  readonly #onSettled: (by: SettledBy, identity: Attributes) => void

  /**
   * `detected`: what the detectors found (the process's own facts); `identity`: the configured
   * attributes as the preload resolved them, which win over detected ones.
   */
  constructor (
    detected: Resource,
    identity: Attributes,
    onSettled: (by: SettledBy, identity: Attributes) => void
  ) {
    this.#detected = detected
    this.#identity = { ...identity }
    this.#onSettled = onSettled
  }

  /** Undefined while the identity is open. */
  get settledBy (): SettledBy | undefined {
    return this.#settledBy
  }

  /**
   * Settles the identity, with `identity` in place of the preload's when given. Returns false when
   * it was settled already (the identity can no longer change).
   */
  settle (by: SettledBy, identity?: Attributes): boolean {
    if (this.#settledBy !== undefined) return false
    if (identity !== undefined) this.#identity = { ...identity }
    this.#settledBy = by
    this.#onSettled(by, this.#identity)
    return true
  }

  get asyncAttributesPending (): boolean {
    return this.#settledBy === undefined || this.#detected.asyncAttributesPending === true
  }

  async waitForAsyncAttributes (): Promise<void> {
    this.settle('export')
    await this.#detected.waitForAsyncAttributes?.()
  }

  /** As upstream's merged resource would have them: same values, same order (the OTLP bytes match). */
  get attributes (): Attributes {
    if (this.#attributes !== undefined) return this.#attributes
    const attributes = this.#snapshot().attributes
    if (!this.asyncAttributesPending) this.#attributes = attributes
    return attributes
  }

  get schemaUrl (): string | undefined {
    return this.#detected.schemaUrl
  }

  /** The first entry of a name wins, as in upstream's resources: the identity comes first. */
  getRawAttributes (): RawResourceAttribute[] {
    return [...Object.entries(this.#identity), ...this.#detected.getRawAttributes()]
  }

  merge (other: Resource | null): Resource {
    return this.#snapshot().merge(other)
  }

  /** Upstream's resource of the attributes as they are now (the identity first: it wins). */
  #snapshot (): Resource {
    return resourceFromAttributes({}, { schemaUrl: this.schemaUrl }).merge(this)
  }
}
