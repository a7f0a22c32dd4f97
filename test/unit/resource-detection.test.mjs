// The resource: what the detectors find (OTEL_NODE_RESOURCE_DETECTORS, NodeSDK's default set by
// default) under what the user configured, and the preload's identity, which stays open for the
// plugin's options until the first export writes it down.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { PendingIdentityResource } from '../../dist/sdk/assembly/pending-identity.js'
import { buildResource } from '../../dist/sdk/assembly/resource.js'
import { resolveSdkConfig } from '../../dist/sdk/config/resolve-config.js'
import { resourceFromAttributes } from '@opentelemetry/resources'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** The settled attributes of the resource the package would build from this environment. */
async function resourceFor (env, options = { serviceName: 'checkout' }) {
  const resolution = resolveSdkConfig(options, env)
  const warned = []
  const resource = buildResource(resolution.config, { warn: (message) => warned.push(message) })
  await resource.waitForAsyncAttributes?.()
  return { attributes: resource.attributes, warned, warnings: resolution.warnings }
}

const has = (attributes, prefix) => Object.keys(attributes).some((key) => key.startsWith(prefix))

test('by default: service.instance.id, host.*, os.* and process.* (NodeSDK\'s set), under the configured ' +
  'identity', async () => {
  const { attributes, warned } = await resourceFor({ OTEL_RESOURCE_ATTRIBUTES: 'team=payments' })
  assert.equal(attributes['service.name'], 'checkout')
  assert.equal(attributes.team, 'payments')
  assert.match(attributes['service.instance.id'], /^[0-9a-f-]{36}$/)
  assert.equal(typeof attributes['host.name'], 'string')
  assert.equal(typeof attributes['host.arch'], 'string')
  assert.equal(typeof attributes['os.type'], 'string')
  assert.equal(attributes['process.pid'], process.pid)
  assert.equal(attributes['process.runtime.name'], 'nodejs')
  assert.equal(attributes['telemetry.sdk.language'], 'nodejs')
  // A command line is where people put tokens: it is not sent.
  assert.equal(attributes['process.command_args'], undefined)
  assert.deepEqual(warned, [])
})

test('each process gets its own service.instance.id, so replicas can be told apart; a configured one ' +
  'wins', async () => {
  const script =
    "const { buildResource } = require('./dist/sdk/assembly/resource.js');" +
    "const { resolveSdkConfig } = require('./dist/sdk/config/resolve-config.js');" +
    "const r = buildResource(resolveSdkConfig({ serviceName: 'x' }, {}).config);" +
    "r.waitForAsyncAttributes().then(() => process.stdout.write(r.attributes['service.instance.id']))"
  const replica = () => execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })
  const [a, b] = [replica(), replica()]
  assert.match(a, /^[0-9a-f-]{36}$/)
  assert.notEqual(a, b)
  // Within one process it is one id: every resource built here shares it.
  const here = [await resourceFor({}), await resourceFor({})].map(({ attributes }) => attributes['service.instance.id'])
  assert.equal(here[0], here[1])
  const pinned = await resourceFor({ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-7' })
  assert.equal(pinned.attributes['service.instance.id'], 'pod-7')
})

test('OTEL_NODE_RESOURCE_DETECTORS=none: only the SDK facts and the configured identity', async () => {
  const { attributes } = await resourceFor({ OTEL_NODE_RESOURCE_DETECTORS: 'none' })
  assert.deepEqual(Object.keys(attributes).sort(), [
    'service.name',
    'telemetry.sdk.language',
    'telemetry.sdk.name',
    'telemetry.sdk.version'
  ])
})

test('OTEL_NODE_RESOURCE_DETECTORS=env,host: host.* and os.*, no process.*, no service.instance.id', async () => {
  const { attributes, warned, warnings } = await resourceFor({ OTEL_NODE_RESOURCE_DETECTORS: 'env,host' })
  assert.ok(has(attributes, 'host.'))
  assert.ok(has(attributes, 'os.'))
  assert.ok(!has(attributes, 'process.'))
  assert.equal(attributes['service.instance.id'], undefined)
  assert.deepEqual(warned, [])
  assert.deepEqual(warnings, [])
})

test('the older names work (serviceinstance, os), a name that is no detector is skipped with a warning', async () => {
  const { attributes, warnings } = await resourceFor({ OTEL_NODE_RESOURCE_DETECTORS: 'serviceinstance,os,hots' })
  assert.match(attributes['service.instance.id'], /^[0-9a-f-]{36}$/)
  assert.ok(has(attributes, 'os.'))
  assert.ok(!has(attributes, 'host.'))
  assert.deepEqual(warnings, [
    'OTEL_NODE_RESOURCE_DETECTORS names "hots", which is not a resource detector (known: host, os, process, service, ' +
      'serviceinstance, container, aws, gcp, azure, alibaba, env, all, none); skipping it.'
  ])
})

test('a cloud detector whose package is not installed is reported, with what to install; `all` and the ' +
  'defaults stay quiet', async () => {
  const named = await resourceFor({ OTEL_NODE_RESOURCE_DETECTORS: 'host,aws,gcp' })
  assert.deepEqual(named.warned, [
    'resource detector "aws" is not available: `npm install @opentelemetry/resource-detector-aws` (a version on ' +
      '@opentelemetry/resources 3, the line this package is on), or remove "aws" from OTEL_NODE_RESOURCE_DETECTORS. ' +
      'The other detectors apply.',
    'resource detector "gcp" is not available: `npm install @opentelemetry/resource-detector-gcp` (a version on ' +
      '@opentelemetry/resources 3, the line this package is on), or remove "gcp" from OTEL_NODE_RESOURCE_DETECTORS. ' +
      'The other detectors apply.'
  ])
  assert.ok(has(named.attributes, 'host.'))
  const all = await resourceFor({ OTEL_NODE_RESOURCE_DETECTORS: 'all' })
  assert.deepEqual(all.warned, [])
  assert.ok(has(all.attributes, 'process.') && has(all.attributes, 'host.'))
})

test('the container detector (a dependency) is loaded and runs: outside a container it adds ' +
  'nothing', async () => {
  const { attributes, warned } = await resourceFor({ OTEL_NODE_RESOURCE_DETECTORS: 'container' })
  assert.deepEqual(warned, [])
  // Inside a container it finds container.id in /proc/self/cgroup or mountinfo; either way, no error.
  for (const key of Object.keys(attributes)) {
    assert.ok(['service.name', 'container.id'].includes(key) || key.startsWith('telemetry.sdk.'), key)
  }
})

test('the pending identity: open until settled once, by the plugin or by the first export; later settles ' +
  'change nothing', async () => {
  const detected = resourceFromAttributes({ 'host.name': 'box', 'service.name': 'unknown_service:node' })
  const settled = []
  const resource = new PendingIdentityResource(detected, { 'service.name': 'unknown_service:node' }, (by, identity) =>
    settled.push([by, identity['service.name']])
  )
  assert.equal(resource.asyncAttributesPending, true)
  assert.equal(resource.settle('plugin', { 'service.name': 'from-code', 'service.version': '2' }), true)
  assert.equal(resource.asyncAttributesPending, false)
  assert.deepEqual(resource.attributes, { 'host.name': 'box', 'service.name': 'from-code', 'service.version': '2' })
  // The first export waits for it (as it does for async detectors) and finds it settled.
  await resource.waitForAsyncAttributes()
  assert.equal(resource.settle('plugin', { 'service.name': 'too-late' }), false)
  assert.equal(resource.attributes['service.name'], 'from-code')
  assert.deepEqual(settled, [['plugin', 'from-code']])
  // Merging takes a snapshot, in upstream's precedence (the argument wins).
  const merged = resource.merge(resourceFromAttributes({ 'service.name': 'merged' }))
  assert.equal(merged.attributes['service.name'], 'merged')
})

test('the pending identity, settled by the first export with the preload\'s identity', async () => {
  const settled = []
  const resource = new PendingIdentityResource(resourceFromAttributes({}), { 'service.name': 'env-name' }, (by) =>
    settled.push(by)
  )
  await resource.waitForAsyncAttributes()
  assert.deepEqual(settled, ['export'])
  assert.equal(resource.settle('plugin', { 'service.name': 'from-code' }), false)
  assert.equal(resource.attributes['service.name'], 'env-name')
})
