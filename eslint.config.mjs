// neostandard, the Fastify ecosystem's style (standard for JavaScript and TypeScript), with lines of
// at most 120 characters. `npm run lint`; .ci/run runs it.
import neostandard, { plugins } from 'neostandard'

export default [
  { ignores: ['dist/**', 'bench/results/**', 'test/fixtures/architecture/**'] },
  ...neostandard({ ts: true }),
  {
    plugins: { '@stylistic': plugins['@stylistic'] },
    rules: {
      '@stylistic/max-len': ['error', { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }]
    }
  }
]
