import type { Instrumentation } from '@opentelemetry/instrumentation'

/**
 * Which of `names` were loaded already. A module-patching instrumentation only sees modules loaded
 * after it was enabled (the most common cause of missing spans: an SDK set up too late), so these are the
 * ones it will miss. Built-ins are read from Node's list of loaded built-ins, packages from the
 * CommonJS cache (ES modules go through it too when they load a CommonJS package).
 */
export function loadedEarly (names: readonly string[]): string[] {
  const builtins = new Set((process as { moduleLoadList?: string[] }).moduleLoadList ?? [])
  const cached = Object.keys(require.cache)
  return names.filter(
    (name) =>
      builtins.has(`NativeModule ${name}`) ||
      cached.some((file) => file.includes(`/node_modules/${name}/`) || file.includes(`\\node_modules\\${name}\\`))
  )
}

/** The module names an instrumentation patches (its module definitions), for loadedEarly. */
export function patchedModules (instrumentations: readonly Instrumentation[]): string[] {
  const names = new Set<string>()
  for (const instrumentation of instrumentations) {
    const definitions =
      (instrumentation as { getModuleDefinitions?: () => Array<{ name: string }> }).getModuleDefinitions?.() ?? []
    for (const definition of definitions) names.add(definition.name)
  }
  return [...names]
}
