// Config files at the edges of their formats, served over HTTP from real files: blank and broken
// JSON, YAML aliases, explicit tags and infinities, the nesting limit, profile gates written
// loosely or wrongly, and a label or config directory that is not there.
import { rm } from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFiles } from '../../../test-support/files.js'
import {
  sourcesOf,
  startInProcessDevConfigServer,
} from '../../../test-support/in-process-dev-config-server.js'
import type { InProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'

interface EnvironmentBody {
  propertySources: { name: string; source: Record<string, unknown> }[]
}

let dir: { path: string; remove: () => Promise<void> }
let server: InProcessDevConfigServer

beforeEach(async () => {
  dir = await tempDir('dev-config-server-format-edges-')
  server = await startInProcessDevConfigServer({ dir: dir.path })
})
afterEach(async () => {
  await server.stop()
  await dir.remove()
})

/** The status and JSON body of a GET. */
const answer = async (path: string): Promise<{ status: number; body: unknown }> => {
  const response = await server.get(path)
  return { status: response.status, body: await response.json() }
}

const sources = async (path: string): Promise<[string, Record<string, unknown>][]> => {
  const response = await server.get(path)
  expect(response.status).toBe(200)
  return sourcesOf((await response.json()) as EnvironmentBody)
}

const invalidConfig = (message: string): { status: number; body: unknown } => ({
  status: 500,
  body: { error: 'invalid_config', message },
})

describe('JSON files', () => {
  it('serves a JSON file holding only whitespace as no source at all', async () => {
    await writeFiles(dir.path, { 'blank.json': ' \n\t\n', 'blank.yml': 'who: yml\n' })
    expect(await sources('/blank/default')).toEqual([['file:blank.yml', { who: 'yml' }]])
  })

  it('answers 500 naming the position of a syntax error when JSON.parse gives one', async () => {
    // A trailing comma is fine in a YAML flow map, so this is read as JSON, not as YAML.
    await writeFiles(dir.path, { 'comma.json': '{"aaaaaaaaaaaa": 1,}', 'cut.json': '[' })
    expect(await answer('/comma/default')).toEqual(
      invalidConfig('comma.json is not valid JSON (at position 19)'),
    )
    expect(await answer('/cut/default')).toEqual(invalidConfig('cut.json is not valid JSON'))
  })
})

describe('YAML files', () => {
  it('answers 500 to a document that is not a map, naming the document', async () => {
    await writeFiles(dir.path, {
      'list.yml': '- a\n',
      'second.yml': 'a: 1\n---\n- b\n',
      'array.json': '[1]',
    })
    expect(await answer('/list/default')).toEqual(
      invalidConfig('list.yml must hold a map at the top level'),
    )
    expect(await answer('/second/default')).toEqual(
      invalidConfig('second.yml (document #1) must hold a map at the top level'),
    )
    expect(await answer('/array/default')).toEqual(
      invalidConfig('array.json must hold a map at the top level'),
    )
  })

  it('answers 500 to an alias bomb, and to an alias with no anchor before it, telling them apart', async () => {
    const ten = (alias: string): string => `[${Array<string>(10).fill(alias).join(', ')}]`
    await writeFiles(dir.path, {
      'bomb.yml': `a: &a ${ten('x')}\nb: &b ${ten('*a')}\nc: &c ${ten('*b')}\nd: [*c, *c]\n`,
      'typo.yml': 'a: &anchor 1\nb: *anchr\n',
      // An anchor lives in its own document only.
      'split.yml': 'a: &x 1\n---\nb: *x\n',
      'fine.yml': 'a: &x [1, 2]\nb: *x\n',
    })
    expect(await answer('/bomb/default')).toEqual(
      invalidConfig('bomb.yml is not valid YAML (more than 100 aliases: refused as an alias bomb)'),
    )
    expect(await answer('/typo/default')).toEqual(
      invalidConfig(
        'typo.yml is not valid YAML (an alias names no anchor set before it in its document)',
      ),
    )
    expect(await answer('/split/default')).toEqual(
      invalidConfig(
        'split.yml is not valid YAML (an alias names no anchor set before it in its document)',
      ),
    )
    expect(await sources('/fine/default')).toEqual([
      ['file:fine.yml', { 'a[0]': 1, 'a[1]': 2, 'b[0]': 1, 'b[1]': 2 }],
    ])
  })

  it('serves infinities and NaN as text, and a !!timestamp as an ISO-8601 instant', async () => {
    await writeFiles(dir.path, {
      'special.yml':
        'up: .inf\ndown: -.inf\nodd: .nan\nwhen: !!timestamp 2001-12-14 21:59:43.10 -5\n',
    })
    expect(await sources('/special/default')).toEqual([
      [
        'file:special.yml',
        { up: 'Infinity', down: '-Infinity', odd: 'NaN', when: '2001-12-15T02:59:43.100Z' },
      ],
    ])
  })

  it('serves a date without a tag as its text under %YAML 1.1, and a timestamp key as written, in any time zone', async () => {
    await writeFiles(dir.path, {
      'dates.yml':
        '%YAML 1.1\n---\nday: 2001-12-14\nat: 2001-12-14 21:59:43.10 -5\n' +
        '2001-12-15: untagged\n!!timestamp 2001-12-16: tagged\n',
    })
    const zone = process.env['TZ']
    try {
      for (const timeZone of ['UTC', 'Asia/Tokyo', 'America/New_York']) {
        process.env['TZ'] = timeZone
        expect(await sources('/dates/default'), timeZone).toEqual([
          [
            'file:dates.yml',
            {
              day: '2001-12-14',
              at: '2001-12-14 21:59:43.10 -5',
              '2001-12-15': 'untagged',
              '2001-12-16': 'tagged',
            },
          ],
        ])
      }
    } finally {
      if (zone === undefined) delete process.env['TZ']
      else process.env['TZ'] = zone
    }
  })

  it("flattens a !!set as a list and an !!omap as a map, as Spring's YamlProcessor does, and serves !!binary as base64", async () => {
    await writeFiles(dir.path, {
      'tags.yml': [
        'set: !!set {a, b}',
        'empty: !!set {}',
        'omap: !!omap [x: 1, y: [2, 3]]',
        'bytes: !!binary aGVsbG8=',
        '',
      ].join('\n'),
    })
    expect(await sources('/tags/default')).toEqual([
      [
        'file:tags.yml',
        {
          'set[0]': 'a',
          'set[1]': 'b',
          empty: '',
          'omap.x': 1,
          'omap.y[0]': 2,
          'omap.y[1]': 3,
          bytes: 'aGVsbG8=',
        },
      ],
    ])
  })

  it('takes 64 levels of nesting, maps and lists alike, and refuses a 65th', async () => {
    const maps = (nested: number): string => `k: ${'{k: '.repeat(nested)}1${'}'.repeat(nested)}\n`
    const lists = (nested: number): string => `k: ${'['.repeat(nested)}1${']'.repeat(nested)}\n`
    // The top-level map is the first level.
    await writeFiles(dir.path, {
      'maps.yml': maps(63),
      'deep-maps.yml': maps(64),
      'lists.yml': lists(63),
      'deep-lists.yml': lists(64),
    })
    expect(await sources('/maps/default')).toEqual([
      ['file:maps.yml', { [Array<string>(64).fill('k').join('.')]: 1 }],
    ])
    expect(await sources('/lists/default')).toEqual([
      ['file:lists.yml', { [`k${'[0]'.repeat(63)}`]: 1 }],
    ])
    expect(await answer('/deep-maps/default')).toEqual(
      invalidConfig('deep-maps.yml nests deeper than 64 levels'),
    )
    expect(await answer('/deep-lists/default')).toEqual(
      invalidConfig('deep-lists.yml nests deeper than 64 levels'),
    )
  })

  it('refuses YAML nested far too deep before parsing it (the parser would take minutes and gigabytes)', async () => {
    // 2 MB of `[`, or of `- ` on one line: without the check before the parser, each takes the
    // yaml library minutes and gigabytes (200 KB of `[` took 4.7 s and 277 MB).
    await writeFiles(dir.path, {
      'brackets.yml': `k: ${'['.repeat(2_000_000)}`,
      'dashes.yml': `k:\n${'- '.repeat(1_000_000)}x\n`,
      'braces.yml': `k: ${'{a: '.repeat(500_000)}`,
    })
    for (const name of ['brackets', 'dashes', 'braces']) {
      expect(await answer(`/${name}/default`)).toEqual(
        invalidConfig(`${name}.yml nests deeper than 64 levels`),
      )
    }
  }, 20_000)
})

describe('profile gates', () => {
  it('skips empty entries and spaces in a gate, and reads "! name" as !name', async () => {
    await writeFiles(dir.path, {
      'gates.yml': [
        'who: base',
        '---',
        'spring.config.activate.on-profile: "dev, "',
        'who: dev-trailing',
        '---',
        'spring.config.activate.on-profile: "dev,,prod"',
        'who: dev-or-prod',
        '---',
        'spring.config.activate.on-profile: "! dev"',
        'who: not-dev',
        '',
      ].join('\n'),
    })
    const who = async (path: string): Promise<unknown[]> =>
      (await sources(path)).map(([, source]) => source['who'])
    expect(await who('/gates/dev')).toEqual(['dev-or-prod', 'dev-trailing', 'base'])
    expect(await who('/gates/prod')).toEqual(['not-dev', 'dev-or-prod', 'base'])
  })

  it('answers 500 to a gate that negates no name', async () => {
    await writeFiles(dir.path, { 'bang.yml': 'spring.config.activate.on-profile: "!"\nwho: x\n' })
    expect(await answer('/bang/default')).toEqual(
      invalidConfig(
        'bang.yml: spring.config.activate.on-profile holds a profile expression; only names and !name are supported',
      ),
    )
  })
})

describe('a label or config directory that is not there', () => {
  it('answers 404 naming the label', async () => {
    expect(await answer('/foo/default/nope')).toEqual({
      status: 404,
      body: {
        error: 'not_found',
        message: 'no label "nope": the config directory has no such subdirectory',
      },
    })
  })

  it('answers 500 config_dir_missing, with or without a label, once the directory is gone', async () => {
    await rm(dir.path, { recursive: true, force: true })
    const missing = {
      status: 500,
      body: { error: 'config_dir_missing', message: 'the config directory does not exist' },
    }
    expect(await answer('/foo/default')).toEqual(missing)
    expect(await answer('/foo/default/v2')).toEqual(missing)
    expect(server.log()).toContain('"code":"config_dir_missing"')
  })
})
