/**
 * `error.type` for a thrown value: the error's class name (the semantic conventions' canonical
 * form), falling back to its `name`, then `_OTHER`.
 */
export function errorType (error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const className = (error as { constructor?: { name?: unknown } }).constructor?.name
    if (typeof className === 'string' && className !== '' && className !== 'Object') return className
    const name = (error as { name?: unknown }).name
    if (typeof name === 'string' && name !== '') return name
  }
  return '_OTHER'
}
