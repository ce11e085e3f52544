// The `.env` format: upper-snake-case names, values quoted so that `sh` (`set -a; . ./file`) reads
// them back exactly (checked with the real /bin/sh, and bash when installed) and so that dotenv does
// too where any quoting can (checked with the dotenv package, a development dependency here).
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as dotenvParse } from 'dotenv'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentOf, text } from '../../../../test-support/arbitraries.js'
import { tempDir } from '../../../../test-support/files.js'
import { envName, quoteEnvValue, renderEnv } from '../../src/formats/env.js'
import type { EnvRender } from '../../src/formats/env.js'
import { flatEntries, isRefusal, leafText } from '../../src/formats/flat.js'

const SHELLS = ['/bin/sh', '/bin/bash'].filter(
  (shell) => spawnSync(shell, ['-c', 'true']).status === 0,
)
/** Variables a shell sets by itself. */
const SHELL_OWN = new Set(['PWD', 'OLDPWD', 'SHLVL', '_'])

/**
 * What `sh` has in its environment after `set -a; . <file>`, started with an empty environment: the
 * variables whose names match `filter` (bash adds a default PATH and others of its own).
 */
function sourceWith(shell: string, file: string, filter = /^/): Map<string, string> {
  const result = spawnSync(shell, ['-c', 'set -a; . "$1"; exec /usr/bin/env -0', 'sh', file], {
    env: {},
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`${shell} could not source ${file}: ${result.stderr}`)
  const variables = new Map<string, string>()
  for (const pair of result.stdout.split('\0')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const name = pair.slice(0, equals)
    if (!SHELL_OWN.has(name) && filter.test(name)) variables.set(name, pair.slice(equals + 1))
  }
  return variables
}

describe('envName', () => {
  it('is the flat path in upper snake case', () => {
    expect(envName(['a', 'b', 0, 'c'])).toBe('A_B_0_C')
    expect(envName(['features', 'darkMode'])).toBe('FEATURES_DARK_MODE')
    expect(envName(['HTTPServer', 'maxURLLength'])).toBe('HTTP_SERVER_MAX_URL_LENGTH')
    expect(envName(['my-app', 'v2Api', 'x.y'])).toBe('MY_APP_V2_API_X_Y')
    expect(envName(['ключ'])).toBe('____')
  })

  it('is always a name sh accepts', () => {
    expect(envName(['1st'])).toBe('_1ST')
    fc.assert(
      fc.property(fc.array(fc.oneof(text(), fc.nat()), { minLength: 1, maxLength: 4 }), (path) => {
        expect(envName(path)).toMatch(/^[A-Z_][A-Z0-9_]*$/)
      }),
    )
  })
})

describe('renderEnv', () => {
  it('writes NAME=value lines, single-quoted, or double-quoted when a value holds a quote', () => {
    const rendered = renderEnv({
      greeting: "it's",
      port: 8080,
      on: true,
      none: null,
      list: [{ name: 'a b' }],
      multi: 'one\ntwo',
    }) as EnvRender
    expect(rendered.text).toBe(
      [
        `GREETING="it's"`,
        `PORT='8080'`,
        `ON='true'`,
        `NONE=''`,
        `LIST_0_NAME='a b'`,
        `MULTI='one`,
        `two'`,
        '',
      ].join('\n'),
    )
    expect(rendered.shOnly).toEqual([])
  })

  it('refuses keys that are one name in upper snake case, naming both paths', () => {
    expect(renderEnv({ a: { b: 'one' }, a_b: 'two' })).toEqual({
      refused: 'the keys a.b and a_b are both A_B in .env',
    })
    expect(renderEnv({ darkMode: 1, dark_mode: 2 })).toEqual({
      refused: 'the keys darkMode and dark_mode are both DARK_MODE in .env',
    })
  })

  it('refuses a NUL character, which no environment variable can hold, naming the path only', () => {
    expect(renderEnv({ a: ['x\0secret'] })).toEqual({
      refused: 'the value at a[0] holds a NUL character, which .env cannot hold',
    })
  })

  it('names the values sh reads exactly but dotenv cannot (\' with " \\ $ ` or a line break)', () => {
    expect(quoteEnvValue(`it's "x"`)).toEqual({ text: `'it'\\''s "x"'`, dotenv: false })
    // A last backslash goes outside the quotes, where sh reads `\\` as one.
    expect(quoteEnvValue('a\\')).toEqual({ text: `'a'\\\\`, dotenv: false })
    expect(quoteEnvValue('\\')).toEqual({ text: `''\\\\`, dotenv: false })
    expect(quoteEnvValue('$HOME')).toEqual({ text: `'$HOME'`, dotenv: true })
    expect((renderEnv({ a: { b: "'$'" }, c: 'fine' }) as EnvRender).shOnly).toEqual(['a.b'])
  })

  it('writes the sh-only values last, so that dotenv misreading one reads every other exactly', () => {
    // Inside quotes, dotenv read a last `\` as an escaped quote and ran on into the next line:
    // `T_B` starting with `#` was then lost as a comment.
    const rendered = renderEnv({ t: { a: 'C:\\path\\', b: '# c', c: 'it\'s "x"\nX=1' }, d: 1 })
    expect(rendered).toEqual({
      text: `T_B='# c'\nD='1'\nT_A='C:\\path'\\\\\nT_C='it'\\''s "x"\nX=1'\n`,
      shOnly: ['t.a', 't.c'],
    })
    const parsed = dotenvParse((rendered as EnvRender).text)
    expect(parsed['T_B']).toBe('# c')
    expect(parsed['D']).toBe('1')
  })
})

describe('the .env file, read back', () => {
  let dir: { path: string; remove: () => Promise<void> }
  let count = 0
  beforeAll(async () => {
    dir = await tempDir('config-sidecar-env-')
  })
  afterAll(async () => {
    await dir?.remove()
  })

  /**
   * Generated documents under one top-level key, so that no generated name is PATH or IFS (which
   * would change how the shell itself runs); the top-level names are covered above.
   */
  const documents = documentOf({ noNul: true }).map((inner) => ({ t: inner }))

  it.each(SHELLS)(
    'by %s (set -a; . ./file): every value exactly',
    async (shell) => {
      await fc.assert(
        fc.asyncProperty(documents, async (document) => {
          const rendered = renderEnv(document)
          const entries = flatEntries(document)
          if (isRefusal(rendered)) {
            // Refused only when two leaves really have one path or one name (no NUL here).
            const paths = new Set(entries.map((entry) => entry.path))
            const names = new Set(entries.map((entry) => envName(entry.segments)))
            expect(Math.min(paths.size, names.size)).toBeLessThan(entries.length)
            return
          }
          const file = join(dir.path, `c${count++}.env`)
          await writeFile(file, rendered.text)
          const expected = new Map(
            entries.map((entry) => [envName(entry.segments), leafText(entry.value)]),
          )
          expect(sourceWith(shell, file, /^T(_|$)/)).toEqual(expected)
        }),
        { numRuns: 200 },
      )
    },
    60_000,
  )

  it('by dotenv.parse: every value it can read, exactly', () => {
    fc.assert(
      fc.property(documents, (document) => {
        const rendered = renderEnv(document)
        if (isRefusal(rendered)) return
        const parsed = dotenvParse(rendered.text)
        for (const entry of flatEntries(document)) {
          if (rendered.shOnly.includes(entry.path)) continue
          expect(parsed[envName(entry.segments)]).toBe(leafText(entry.value))
        }
      }),
      { numRuns: 300 },
    )
  })
})
