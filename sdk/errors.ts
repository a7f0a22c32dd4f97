/**
 * Every error this package throws on purpose. Each code is listed in docs/reference/errors.md with
 * what to do about it; a test keeps the two in step.
 *
 * Configuration mistakes are `TypeError`s thrown at registration, so a service with a bad option
 * never starts half-instrumented; the other error is app.otel.forceFlush()'s answer when it could
 * not deliver. Nothing here is ever thrown while a request is being served.
 */

export type ErrorCode =
  | 'FOK_ERR_INVALID_OPTION'
  | 'FOK_ERR_UNKNOWN_OPTION'
  | 'FOK_ERR_BATCH_LIMITS'
  | 'FOK_ERR_CONFLICTING_OPTIONS'
  | 'FOK_ERR_TLS_FILE'
  | 'FOK_ERR_INVALID_POOL'
  | 'FOK_ERR_INVALID_TASK_FUNCTION'
  | 'FOK_ERR_CONFIG_FILE'
  | 'FOK_ERR_FLUSH_INCOMPLETE'

/** A configuration error: a plugin or helper option that cannot work. */
export class OtelKitConfigError extends TypeError {
  readonly code: ErrorCode

  constructor (code: ErrorCode, message: string) {
    super(`fastify-otel-kit: ${message}`)
    this.name = 'OtelKitConfigError'
    this.code = code
  }
}

/**
 * app.otel.forceFlush() did not deliver everything: not a configuration error but the one failure
 * the package reports by rejecting, since the caller asked for the answer.
 */
export class OtelKitFlushError extends Error {
  readonly code: ErrorCode = 'FOK_ERR_FLUSH_INCOMPLETE'

  constructor (message: string) {
    super(`fastify-otel-kit: ${message}`)
    this.name = 'OtelKitFlushError'
  }
}

export function flushIncomplete (problems: string[]): OtelKitFlushError {
  return new OtelKitFlushError(
    `forceFlush() did not deliver everything: ${problems.join('; ')}. ` +
      'What is still queued keeps being retried; stats() counts what is lost.'
  )
}

/** Renders a received value for an error message: short, typed, and never a secret. */
export function describeReceived (value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value
    return `${JSON.stringify(shown)} (string)`
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${String(value)} (${typeof value})`
  }
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return `an array of ${value.length}`
  return 'an object'
}

export function invalidOption (key: string, expected: string, received: unknown): OtelKitConfigError {
  return invalidOptionDescribed(key, expected, describeReceived(received))
}

/** For values that must not be echoed (secrets): the caller describes what was received. */
export function invalidOptionDescribed (
  key: string,
  expected: string,
  receivedDescription: string
): OtelKitConfigError {
  return new OtelKitConfigError(
    'FOK_ERR_INVALID_OPTION',
    `option "${key}" must be ${expected}; received ${receivedDescription}.`
  )
}

export function unknownOption (key: string, suggestion: string | undefined): OtelKitConfigError {
  const hint = suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`
  return new OtelKitConfigError(
    'FOK_ERR_UNKNOWN_OPTION',
    `unknown option "${key}".${hint} The options are listed in the package's docs/reference/options.md.`
  )
}

/** `key` is the option holding the two sizes: `batch`, or `logs.batch`. */
export function batchLimits (key: string, batch: number, queue: number): OtelKitConfigError {
  return new OtelKitConfigError(
    'FOK_ERR_BATCH_LIMITS',
    `${key}.maxExportBatchSize (${batch}) cannot be larger than ${key}.maxQueueSize (${queue}): ` +
      'a batch is taken from the queue. Lower maxExportBatchSize or raise maxQueueSize.'
  )
}

export function conflictingOptions (message: string): OtelKitConfigError {
  return new OtelKitConfigError('FOK_ERR_CONFLICTING_OPTIONS', message)
}

/**
 * `problem` finishes "names <path>, which ...": `cannot be read (ENOENT)`, `holds no PEM
 * certificate`; `shownPath` is the path as it may be shown (validate.ts shownTlsPath). `place` is
 * where the path was given: the configuration file's place for it
 * (`.tracer_provider.processors[0]...ca_file`), else the option `key`.
 */
export function tlsFile (key: string, shownPath: string, problem: string, place?: string): OtelKitConfigError {
  const where = place === undefined ? `option "${key}"` : `the configuration file's ${place}`
  return new OtelKitConfigError(
    'FOK_ERR_TLS_FILE',
    `${where} names ${shownPath}, which ${problem}. Give the path of a readable PEM file.`
  )
}

export function invalidPool (received: unknown): OtelKitConfigError {
  return new OtelKitConfigError(
    'FOK_ERR_INVALID_POOL',
    'runInWorker needs a Piscina pool (an object with a run(task, options) method); ' +
      `received ${describeReceived(received)}.`
  )
}

export function invalidTaskFunction (received: unknown): OtelKitConfigError {
  return new OtelKitConfigError(
    'FOK_ERR_INVALID_TASK_FUNCTION',
    `tracedTask needs the task function to wrap; received ${describeReceived(received)}.`
  )
}

/**
 * The configuration file (OTEL_CONFIG_FILE) cannot be used: it cannot be read, is not YAML, does
 * not follow the file format, or asks for something this package cannot do. `variable` is the
 * variable that named it; `where` the place in the file, when there is one.
 */
export function configFileError (variable: string, file: string, reason: string): OtelKitConfigError {
  return new OtelKitConfigError(
    'FOK_ERR_CONFIG_FILE',
    `${variable}=${JSON.stringify(file)}: ${reason}. The SDK is not set up from a file it cannot use in full: fix ` +
      `the file (docs/reference/configuration-file.md), or unset ${variable}.`
  )
}
