/**
 * `error.type` for a thrown value: the error's class name (the semantic conventions' canonical
 * form), falling back to its `name`, then `_OTHER`. A DOMException is the one class whose `name`
 * is its type (WebIDL's error names: `TimeoutError`, `AbortError`...): an aborted or timed-out
 * `fetch` reads `TimeoutError`, not `DOMException`, which every such failure would share.
 */
export function errorType (error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const className = (error as { constructor?: { name?: unknown } }).constructor?.name
    const name = (error as { name?: unknown }).name
    if (className === 'DOMException' && typeof name === 'string' && name !== '') return name
    if (typeof className === 'string' && className !== '' && className !== 'Object') return className
    if (typeof name === 'string' && name !== '') return name
  }
  return '_OTHER'
}
