import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import type { ResolvedExporterConfig, Setting } from '../config/options.js'
import { tlsFile } from '../errors.js'
import { shownTlsPath } from '../config/validate.js'

/** The PEM contents an exporter's TLS uses, whatever its protocol. */
export interface TlsMaterial {
  /** The CA that signed the collector's certificate; undefined: the system's CAs. */
  ca?: Buffer
  /** Both or neither: the client's key and certificate, for mutual TLS. */
  key?: Buffer
  cert?: Buffer
}

/**
 * Reads an exporter's TLS files, at registration: an unreadable file named in the options is an
 * error, one named in the environment is a warning and is left out. `pairProblem` asks the
 * protocol whether it can use the key and certificate together (each transport checks them its
 * own way); a pair it refuses is an error from the options and a warning from the environment.
 */
export function readTlsFiles (
  exporter: ResolvedExporterConfig,
  warn: (message: string) => void,
  pairProblem: (key: Buffer, cert: Buffer) => string | undefined
): TlsMaterial {
  const ca = readPem('exporter.certificateFile', exporter.certificateFile, CERTIFICATE, warn)
  let key = readPem('exporter.clientKeyFile', exporter.clientKeyFile, PRIVATE_KEY, warn)
  let cert = readPem('exporter.clientCertificateFile', exporter.clientCertificateFile, CERTIFICATE, warn)
  if ((key === undefined) !== (cert === undefined)) {
    key = undefined
    cert = undefined
  }
  if (key !== undefined && cert !== undefined) {
    const problem = pairProblem(key, cert)
    if (problem !== undefined) {
      const keySetting = exporter.clientKeyFile
      const certSetting = exporter.clientCertificateFile
      const keyOption = optionKey(keySetting, 'exporter.clientKeyFile')
      const certOption = optionKey(certSetting, 'exporter.clientCertificateFile')
      if (keySetting.source !== 'env' && certSetting.source !== 'env') {
        throw tlsFile(
          keyOption,
          shownTlsPath(keySetting.value!),
          `is, with ${certOption}, not a usable key and certificate: ${problem}`
        )
      }
      const names = [keySetting, certSetting].map((s) =>
        s.source === 'env' ? s.env : `option ${s === keySetting ? keyOption : certOption}`
      )
      warn(
        `${names.join(' and ')} name files that are not a usable key and certificate (${problem}); ` +
          'exporting without a client certificate.'
      )
      key = undefined
      cert = undefined
    }
  }
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(key === undefined || cert === undefined ? {} : { key, cert })
  }
}

/** What each file must hold: the PEM block Node's TLS reads from it. */
interface PemKind {
  readonly marker: RegExp
  readonly what: string
}
const CERTIFICATE: PemKind = { marker: /-----BEGIN CERTIFICATE-----/, what: 'PEM certificate' }
const PRIVATE_KEY: PemKind = { marker: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: 'PEM private key' }

/**
 * A TLS file's content, or undefined (with a warning) when a file named in the environment cannot
 * be read or holds no PEM block of its kind; from the options, either is an error. Without the
 * check, a CA file holding something else was taken silently, and every export then failed as if
 * no CA had been named.
 */
function readPem (
  key: string,
  setting: Setting<string | undefined>,
  kind: PemKind,
  warn: (message: string) => void
): Buffer | undefined {
  if (setting.value === undefined) return undefined
  let problem: string
  try {
    const content = readFileSync(setting.value)
    if (kind.marker.test(content.toString('latin1'))) return content
    problem = `holds no ${kind.what}`
  } catch (error) {
    problem = `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
  }
  if (setting.source !== 'env') {
    const where = setting.source === 'file' ? setting.path : undefined
    throw tlsFile(optionKey(setting, key), shownTlsPath(setting.value), problem, where)
  }
  warn(`${setting.env} names ${shownTlsPath(setting.value)}, which ${problem}; exporting without it.`)
  return undefined
}

/** The option that named a file: a signal's own (`exporter.logs.certificateFile`) or the shared one. */
function optionKey (setting: Setting<string | undefined>, shared: string): string {
  return setting.option ?? shared
}

/**
 * Whether Node's TLS can use the key and certificate together (a key of another certificate, a
 * certificate that does not parse).
 */
export function tlsPairProblem (key: Buffer, cert: Buffer): string | undefined {
  try {
    createSecureContext({ key, cert })
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
