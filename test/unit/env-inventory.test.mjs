// The inventory of OTEL_* variables (sdk/config/env-inventory.ts) stays true: what the resolution
// really reads is exactly what the inventory says it acts on, every OTEL_ name the sources mention
// is in it, and the one warning about variables nothing acts on names them without their values.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  ENV_NOT_ACTED_ON,
  ENV_PREFIXES_NOT_ACTED_ON,
  ENV_VARIABLES,
  ignoredVariables,
  ignoredVariablesWarning,
  READ_BY_INSTRUMENTATIONS
} from '../../dist/sdk/config/env-inventory.js'
import { resolvePluginOptions } from '../../dist/plugin/resolve-options.js'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'
import { selectInstrumentations } from '../../dist/sdk/instrumentations/select.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** How a configuration file refers to a variable. */
const SUBSTITUTION = '$' + '{NAME}'

/** An environment that remembers every variable read from it. */
function recordingEnv (values = {}) {
  const read = new Set()
  const env = new Proxy(values, {
    get (target, name) {
      if (typeof name === 'string') read.add(name)
      return target[name]
    }
  })
  return { env, read }
}

/** Everything the package resolves from the environment, for the plugin and the preload alike. */
function readByResolution (values) {
  const { env, read } = recordingEnv(values)
  // The plugin's resolution: the SDK's settings and the plugin's own (the known HTTP methods).
  resolvePluginOptions({ logs: true }, env)
  selectInstrumentations(env)
  return [...read].filter((name) => name.startsWith('OTEL_')).sort()
}

test('the resolution reads exactly the variables the inventory says the package acts on', () => {
  const inventory = [...ENV_VARIABLES.keys()].filter((name) => !READ_BY_INSTRUMENTATIONS.includes(name)).sort()
  const read = readByResolution({})
  assert.deepEqual(
    read.filter((name) => !inventory.includes(name)),
    [],
    'read but missing from the inventory (add them to sdk/config/env-inventory.ts and the docs)'
  )
  assert.deepEqual(
    inventory.filter((name) => !read.includes(name)),
    [],
    'in the inventory but never read: the warning would hide them as acted on'
  )
})

test('with a configuration file, the resolution reads no SDK variable from the environment', (t) => {
  const file = join(root, 'test/fixtures/config-files/minimal.yaml')
  const { env, read } = recordingEnv({ OTEL_CONFIG_FILE: file, OTEL_SERVICE_NAME: 'ignored' })
  const resolution = resolveSdkConfig({}, env)
  // Looked at only to be named in the warning as ignored because of the file.
  const named = resolution.ignoredEnv.map((v) => v.name)
  assert.deepEqual(named, ['OTEL_SERVICE_NAME'])
  const sdkRead = [...read].filter((name) => ENV_VARIABLES.get(name) === 'sdk' && !named.includes(name))
  assert.deepEqual(sdkRead, [])
  assert.equal(resolution.config.serviceName.value, 'from-file')
})

/** Every OTEL_ name in the TypeScript sources, outside the inventory itself. */
function namesInSources () {
  const names = new Map()
  for (const dir of ['sdk', 'plugin', 'preload', 'cli', 'context', 'workers']) {
    for (const file of readdirSync(join(root, dir), { recursive: true })) {
      if (!/\.m?ts$/.test(file) || file.endsWith('env-inventory.ts')) continue
      const text = readFileSync(join(root, dir, file), 'utf8')
      for (const [name] of text.matchAll(/(?<![A-Z0-9_])OTEL_[A-Z0-9_]*/g)) names.set(name, `${dir}/${file}`)
    }
  }
  return names
}

test('every OTEL_ name the sources mention is in the inventory (acted on, or known and not acted on)', () => {
  const known = [...ENV_VARIABLES.keys(), ...ENV_NOT_ACTED_ON.keys()]
  const unknown = []
  for (const [name, file] of namesInSources()) {
    // Pieces of a name built from parts (`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`), or families (`OTEL_BSP_*`).
    const piece = name.endsWith('_')
    const ok = piece
      ? known.some((k) => k.startsWith(name)) || [...ENV_PREFIXES_NOT_ACTED_ON.keys()].includes(name)
      : known.includes(name)
    if (!ok) unknown.push(`${name} (${file})`)
  }
  assert.deepEqual(unknown, [])
})

test('every variable the inventory says is acted on is named in the sources, whole or as the prefix of a ' +
  'built name', () => {
  const names = [...namesInSources().keys()]
  const missing = [...ENV_VARIABLES.keys()]
    .filter((name) => !READ_BY_INSTRUMENTATIONS.includes(name))
    .filter((name) => !names.includes(name) && !names.some((n) => n.endsWith('_') && name.startsWith(n)))
  assert.deepEqual(missing, [])
})

test('the ignored-variables warning: every name with its reason, grouped, never a value', () => {
  const secret = 'Bearer sk_live_do_not_print'
  const env = {
    PATH: '/usr/bin',
    OTEL_SERVICE_NAME: 'checkout',
    OTEL_EXPORTER_OTLP_HEADRS: `authorization=${secret}`,
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_METRICS_EXEMPLAR_FILTER: 'always_on',
    OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram',
    OTEL_METRIC_EXPORT_INTERVAL: '1000',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411',
    OTEL_EXPORTER_JAEGER_AGENT_HOST: 'jaeger',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318',
    OTEL_SEMCONV_STABILITY_OPT_IN: 'http',
    OTEL_BLANK: '  '
  }
  const ignored = ignoredVariables(env)
  assert.deepEqual(
    ignored.map((v) => v.name),
    [
      'OTEL_EXPORTER_JAEGER_AGENT_HOST',
      'OTEL_EXPORTER_OTLP_HEADRS',
      'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
      'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
      'OTEL_METRICS_EXEMPLAR_FILTER'
    ]
  )
  const warning = ignoredVariablesWarning(ignored)
  assert.ok(!warning.includes('sk_live'), warning)
  assert.ok(!warning.includes('zipkin:9411'), warning)
  assert.match(warning, /^5 OTEL_\* variables are set but not acted on \(values not shown\): /)
  assert.match(warning, /OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: histograms are explicit-bucket/)
  assert.match(warning, /OTEL_EXPORTER_OTLP_HEADRS: not a variable this package knows \(did you mean OTEL_EXPORTER_OTLP_HEADERS\?\)/)
  assert.match(warning, /OTEL_METRICS_EXEMPLAR_FILTER: exemplars are not recorded by this package/)
  assert.match(warning, /OTEL_EXPORTER_ZIPKIN_ENDPOINT: Zipkin export is not supported/)
  assert.equal(ignoredVariablesWarning([]), undefined)
})

test('with a configuration file, the SDK variables are named as ignored because of it; the ones it refers to ' +
  'are not', () => {
  const env = {
    OTEL_CONFIG_FILE: '/etc/otel.yaml',
    OTEL_EXPERIMENTAL_CONFIG_FILE: '/etc/old.yaml',
    OTEL_SERVICE_NAME: 'checkout',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http',
    OTEL_TRACES_SAMPLER: 'always_off'
  }
  const ignored = ignoredVariables(env, {
    configFile: { variable: 'OTEL_CONFIG_FILE' },
    referenced: ['OTEL_EXPORTER_OTLP_ENDPOINT']
  })
  assert.deepEqual(
    ignored.map((v) => `${v.name}: ${v.reason}`),
    [
      'OTEL_EXPERIMENTAL_CONFIG_FILE: OTEL_CONFIG_FILE is set too, and wins',
      'OTEL_SERVICE_NAME: OTEL_CONFIG_FILE is set: the configuration file replaces the SDK variables (to use one, ' +
        `reference it in the file as ${SUBSTITUTION})`,
      'OTEL_TRACES_SAMPLER: OTEL_CONFIG_FILE is set: the configuration file replaces the SDK variables (to use one, ' +
        `reference it in the file as ${SUBSTITUTION})`
    ]
  )
})
