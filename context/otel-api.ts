/**
 * The OpenTelemetry API singletons, read once for the whole package. `@opentelemetry/api`'s
 * CommonJS build exports them through getters, so every `api.trace` is a getter call; the request
 * path reads them several times per request. Import the values from here, the types from the API.
 */
import * as api from '@opentelemetry/api'

export const trace: typeof api.trace = api.trace
export const context: typeof api.context = api.context
export const propagation: typeof api.propagation = api.propagation
export const diag: typeof api.diag = api.diag
export const logs: typeof api.logs = api.logs
export const metrics: typeof api.metrics = api.metrics
