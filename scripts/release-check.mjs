// Before `npm publish` (prepublishOnly): the changelog's newest entry is this version and says when
// it was released, not "not yet published". Exits 1 with the reason otherwise.
//   node scripts/release-check.mjs [package.json] [CHANGELOG.md]
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const [manifestPath = `${root}package.json`, changelogPath = `${root}CHANGELOG.md`] = process.argv.slice(2)
const { version } = JSON.parse(readFileSync(manifestPath, 'utf8'))
const heading = /^## (\d+\.\d+\.\d+) \(([^)]*)\)/m.exec(readFileSync(changelogPath, 'utf8'))

const problem =
  heading === null
    ? 'the changelog has no "## x.y.z (date)" entry'
    : heading[1] !== version
      ? `the changelog's newest entry is ${heading[1]}, the package is ${version}`
      : !/^\d{4}-\d{2}-\d{2}$/.test(heading[2])
          ? `the changelog's entry for ${version} says "${heading[2]}": write the release date (YYYY-MM-DD)`
          : undefined
if (problem !== undefined) {
  process.stderr.write(`release check: ${problem}\n`)
  process.exitCode = 1
}
