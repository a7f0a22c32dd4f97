/**
 * A configuration notice that has a code of its own (docs/reference/warnings.md), for what a user
 * must act on: export turned off, a protocol that does not match the port, a value the runtime
 * cannot hold. Plain notices (an override, an ignored value) are `FOK_WARN_CONFIG` strings.
 * Never carries a secret: names of variables, options and headers, never their values.
 */
export interface ConfigWarning {
  readonly code: ConfigWarningCode
  readonly message: string
}

/** The configuration's own codes (a part of the diagnostics' WarningCode). */
export type ConfigWarningCode =
  | 'FOK_WARN_CONFIG'
  | 'FOK_WARN_EXPORT_DISABLED'
  | 'FOK_WARN_PROTOCOL_PORT'
  | 'FOK_WARN_DURATION_CLAMPED'
  | 'FOK_WARN_HEADER_TOO_LARGE'
