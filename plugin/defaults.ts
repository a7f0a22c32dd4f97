/** The signals the plugin flushes (and, if nothing else listens, closes the app) on. */
export const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = Object.freeze(['SIGTERM', 'SIGINT'] as NodeJS.Signals[])
