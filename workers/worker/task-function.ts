/**
 * Where a function wrapped by tracedTask keeps the user's function, so the generic entry
 * (traced-entry.ts) runs that one and not the wrapper (which would trace the task twice).
 * A registered symbol: the entry and the task module may load different copies of this file.
 */
export const TASK_FUNCTION = Symbol.for('fastify-otel-kit.task-function')

export type WrappedTaskFunction = ((task: unknown) => unknown) & { [TASK_FUNCTION]?: (task: unknown) => unknown }
