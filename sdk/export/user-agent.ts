import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../context/instrumentation-scope.js'

/**
 * The exporters' user agent: ours, then upstream's transport's own,
 * `OTel-OTLP-Exporter-JavaScript/<version>` (some backends recognise OpenTelemetry JS exporters by
 * it), with the version of the upstream package whose transport ours stands in for. Upstream
 * writes a user-supplied agent first the same way.
 */
export function exporterUserAgent (upstreamPackage: string): string {
  return `${PACKAGE_NAME}/${PACKAGE_VERSION} OTel-OTLP-Exporter-JavaScript/${installedVersion(upstreamPackage)}`
}

function installedVersion (name: string): string {
  try {
    // The package's exports hide its manifest from require(); it sits above the resolved entry.
    let folder = dirname(createRequire(__filename).resolve(name))
    for (let i = 0; i < 4; i++) {
      try {
        const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
          name?: string
          version?: string
        }
        if (manifest.name === name) return manifest.version ?? 'unknown'
      } catch {
        // Not at this level: one up.
      }
      folder = dirname(folder)
    }
  } catch {
    // A package that cannot be resolved: the name alone still says what sent the request.
  }
  return 'unknown'
}
