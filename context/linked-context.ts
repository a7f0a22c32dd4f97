import type { Context } from '@opentelemetry/api'

/**
 * A Context as a chain of small immutable nodes: setValue adds one node in front of its parent.
 * OpenTelemetry's BaseContext copies its whole Map and creates three closures on every setValue;
 * a request creates several contexts, so this is measurably cheaper on the request path
 * (docs/internals/decisions.md). Semantics are the same: immutable, last write wins, deleteValue
 * hides a key.
 *
 * Chains are short (a request context is a few nodes deep); a chain that grows past
 * MAX_DEPTH is flattened into one node so lookups stay cheap.
 */
const MAX_DEPTH = 16
const DELETED = Symbol('deleted')

export class LinkedContext implements Context {
  private constructor (
    private readonly parent: LinkedContext | undefined,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
    private readonly depth: number,
    /** Only on flattened nodes: every live key of the chain it replaced. */
    private readonly flat: Map<symbol, unknown> | undefined
  ) {}

  /** The empty context. */
  static readonly ROOT = new LinkedContext(undefined, undefined, undefined, 0, undefined)

  getValue (key: symbol): unknown {
    for (let node: LinkedContext | undefined = this; node !== undefined; node = node.parent) {
      if (node.flat !== undefined) {
        const found = node.flat.get(key)
        return found === DELETED ? undefined : found
      }
      if (node.key === key) return node.value === DELETED ? undefined : node.value
    }
    return undefined
  }

  setValue (key: symbol, value: unknown): Context {
    return this.depth >= MAX_DEPTH
      ? this.flatten().setValue(key, value)
      : new LinkedContext(this, key, value, this.depth + 1, undefined)
  }

  deleteValue (key: symbol): Context {
    return this.depth >= MAX_DEPTH
      ? this.flatten().deleteValue(key)
      : new LinkedContext(this, key, DELETED, this.depth + 1, undefined)
  }

  /** One node holding the chain's live values. */
  private flatten (): LinkedContext {
    const values = new Map<symbol, unknown>()
    const nodes: LinkedContext[] = []

    for (let node: LinkedContext | undefined = this; node !== undefined; node = node.parent) {
      nodes.push(node)
      if (node.flat !== undefined) break
    }
    for (const node of nodes.reverse()) {
      if (node.flat !== undefined) for (const [k, v] of node.flat) values.set(k, v)
      else if (node.key !== undefined) values.set(node.key, node.value)
    }
    return new LinkedContext(undefined, undefined, undefined, 1, values)
  }
}
