import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Read once from the package's own package.json (two levels above dist/plugin/). */
export const PACKAGE_NAME = 'fastify-otel-kit'
export const PACKAGE_VERSION: string = readVersion()

function readVersion (): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string
    }
    return manifest.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}
