#!/usr/bin/env node
/**
 * The command line: `fastify-otel-kit doctor` checks a service's tracing setup from its
 * environment (and, with --config, the options its code passes to the plugin): exit code 0 when
 * every check passed, 1 when one failed, 2 for a usage error. `fastify-otel-kit receive` prints
 * what a service exports, with no backend.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { runDoctor } from './doctor.js'
import { runReceiveCommand } from './receive-command.js'

const COMMANDS = `Usage: fastify-otel-kit <command> [options]

  doctor     check the configuration, the collector and the queue size
  receive    run a local OTLP receiver and print the traces and log records that arrive

fastify-otel-kit <command> --help shows a command's options.`

const USAGE = `Usage: fastify-otel-kit doctor [options]

  --config <file.json>         the plugin options your code passes to register(), as JSON
  --service-name <name>        shorthand for {"serviceName": name}
  --endpoint <url>             shorthand for {"exporter": {"endpoint": url}}
  --peak-rps <n>               peak requests per second, for the queue size check
  --spans-per-request <n>      spans per request at that peak (default 3)
  --timeout <ms>               how long to wait for the collector (default 5000)
  --no-export                  send nothing (no smoke span, record or metrics)
  --summary <url|file>         print a running service's route summary: the JSON of
                               app.otel.routeSummary(), served at a URL or saved in a file
  --summary-header <name: value>
                               a header for the summary's URL (an admin route's credential;
                               sent, never printed); may be repeated
  -h, --help

The environment (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_BSP_*, ...) is read as the
plugin reads it, so the output shows which values the environment overrides.`

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === 'receive') return await runReceiveCommand(rest)
  if (command !== 'doctor') {
    process.stdout.write(`${COMMANDS}\n`)
    return command === '-h' || command === '--help' ? 0 : 2
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  let values
  try {
    ;({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        'service-name': { type: 'string' },
        endpoint: { type: 'string' },
        'peak-rps': { type: 'string' },
        'spans-per-request': { type: 'string' },
        timeout: { type: 'string' },
        'no-export': { type: 'boolean' },
        summary: { type: 'string' },
        'summary-header': { type: 'string', multiple: true }
      }
    }))
  } catch (error) {
    process.stderr.write(`${usageError(error as Error)}\n\n${USAGE}\n`)
    return 2
  }
  const number = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`--${name} must be a positive number; received ${JSON.stringify(raw)}`)
    }
    return value
  }
  try {
    const pluginOptions = values.config === undefined ? {} : JSON.parse(readFileSync(values.config, 'utf8'))
    if (values['service-name'] !== undefined) pluginOptions.serviceName = values['service-name']
    if (values.endpoint !== undefined) pluginOptions.exporter = { ...pluginOptions.exporter, endpoint: values.endpoint }
    const healthy = await runDoctor({
      pluginOptions,
      env: process.env,
      peakRequestsPerSecond: number('peak-rps', values['peak-rps']),
      spansPerRequest: number('spans-per-request', values['spans-per-request']) ?? 3,
      timeoutMillis: number('timeout', values.timeout) ?? 5000,
      export: values['no-export'] !== true,
      write: (line) => process.stdout.write(`${line}\n`),
      ...(values.summary === undefined ? {} : { summary: values.summary }),
      summaryHeaders: summaryHeaders(values['summary-header'] ?? [], values.summary)
    })
    return healthy ? 0 : 1
  } catch (error) {
    process.stderr.write(`fastify-otel-kit doctor: ${(error as Error).message}\n`)
    return 2
  }
}

/**
 * parseArgs' message, except where it would repeat a stray argument: an unquoted
 * `--summary-header authorization: Bearer <token>` leaves the token as one.
 */
function usageError (error: Error): string {
  if ((error as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return error.message
  return (
    'an argument that belongs to no option (not shown: it may be a credential). Quote a value ' +
    "with spaces: --summary-header 'authorization: Bearer <token>'"
  )
}

/**
 * `--summary-header` values, written as curl's `-H` takes them (`authorization: Bearer <token>`);
 * a name given twice sends both values, joined as HTTP joins them. An error names the flag and
 * the position, never the text: it is usually a credential.
 */
function summaryHeaders (raw: readonly string[], summary: string | undefined): Record<string, string> {
  if (raw.length > 0 && (summary === undefined || !/^https?:\/\//i.test(summary))) {
    throw new Error('--summary-header goes with a --summary URL (http:// or https://), to which it is sent')
  }
  const headers: Record<string, string> = {}
  raw.forEach((header, i) => {
    const colon = header.indexOf(':')
    const name = colon > 0 ? header.slice(0, colon).trim().toLowerCase() : ''
    const value = header.slice(colon + 1).trim()
    const wrong = headerProblem(name, value)
    if (wrong !== undefined) throw new Error(`--summary-header number ${i + 1} ${wrong} (its text is not shown)`)
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  })
  return headers
}

/** What makes a header unsendable, said without its text; undefined when it can be sent. */
function headerProblem (name: string, value: string): string | undefined {
  if (name === '' || !/^[!#$%&'*+.^`|~\w-]+$/.test(name)) return 'is not "name: value"'
  if (value === '') return 'has an empty value'
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return 'has a character no header value may hold (a line break?)'
  return undefined
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exitCode = 2
  }
)
