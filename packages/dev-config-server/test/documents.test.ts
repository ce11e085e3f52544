// Multi-document files and profile gates, and .properties files, served over HTTP from real files.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
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
  dir = await tempDir('dev-config-server-documents-')
  server = await startInProcessDevConfigServer({ dir: dir.path })
})
afterEach(async () => {
  await server.stop()
  await dir.remove()
})

const environment = async (path: string): Promise<EnvironmentBody> => {
  const response = await server.get(path)
  expect(response.status).toBe(200)
  return (await response.json()) as EnvironmentBody
}

/** [source name, value of `who`] for the sources of one file, highest precedence first. */
const whoIn = async (path: string, file: string): Promise<[string, unknown][]> =>
  sourcesOf(await environment(path))
    .filter(([name]) => name.startsWith(`file:${file}`))
    .map(([name, source]) => [name, source['who']])

describe('profile gates in multi-document YAML', () => {
  beforeEach(async () => {
    await writeFiles(dir.path, {
      'multi.yml': [
        'who: multi',
        '---',
        'spring.config.activate.on-profile: dev',
        'who: multi-dev',
        '---',
        'spring: {config: {activate: {on-profile: "!dev"}}}',
        'who: multi-not-dev',
        '---',
        'spring.config.activate.on-profile: cloud, prod',
        'who: multi-cloud-or-prod',
        '---',
        'spring.config.activate.on-profile: [db, "!dev"]',
        'who: multi-db-or-not-dev',
        '---',
        'spring.profiles: legacy',
        'who: multi-legacy',
        '---',
        'spring: {profiles: [old, older]}',
        'who: multi-legacy-list',
        '',
      ].join('\n'),
    })
  })

  it('serves a gated document only when a requested profile matches, a later document first', async () => {
    expect(await whoIn('/multi/dev', 'multi')).toEqual([
      ['file:multi.yml (document #1)', 'multi-dev'],
      ['file:multi.yml (document #0)', 'multi'],
    ])
    expect(await whoIn('/multi/prod', 'multi')).toEqual([
      ['file:multi.yml (document #4)', 'multi-db-or-not-dev'],
      ['file:multi.yml (document #3)', 'multi-cloud-or-prod'],
      ['file:multi.yml (document #2)', 'multi-not-dev'],
      ['file:multi.yml (document #0)', 'multi'],
    ])
    expect(await whoIn('/multi/dev,db', 'multi')).toEqual([
      ['file:multi.yml (document #4)', 'multi-db-or-not-dev'],
      ['file:multi.yml (document #1)', 'multi-dev'],
      ['file:multi.yml (document #0)', 'multi'],
    ])
  })

  it('honours the legacy spring.profiles key, as a name or a list', async () => {
    expect(await whoIn('/multi/dev,legacy', 'multi')).toEqual([
      ['file:multi.yml (document #5)', 'multi-legacy'],
      ['file:multi.yml (document #1)', 'multi-dev'],
      ['file:multi.yml (document #0)', 'multi'],
    ])
    expect((await whoIn('/multi/dev,older', 'multi'))[0]).toEqual([
      'file:multi.yml (document #6)',
      'multi-legacy-list',
    ])
  })

  it('never serves the gate keys themselves', async () => {
    const body = await environment('/multi/dev,db,legacy,old')
    expect(body.propertySources.length).toBeGreaterThan(3)
    for (const { source } of body.propertySources) {
      expect(Object.keys(source).filter((key) => key.startsWith('spring.'))).toEqual([])
    }
  })

  it('refuses a document with both gates, and a profile expression, naming the document', async () => {
    await writeFiles(dir.path, {
      'both.yml': 'a: 1\n---\nspring.profiles: x\nspring.config.activate.on-profile: y\n',
      'expr.yml': 'spring.config.activate.on-profile: "dev & db"\n',
    })
    const both = await server.get('/both/default')
    expect(both.status).toBe(500)
    expect(await both.json()).toEqual({
      error: 'invalid_config',
      message:
        'both.yml (document #1) uses both spring.config.activate.on-profile and the legacy spring.profiles; keep one',
    })
    const expression = await server.get('/expr/default')
    expect(expression.status).toBe(500)
    expect((await expression.json()).message).toMatch(/^expr\.yml: .*only names and !name/)
  })

  it('numbers documents as Spring does, skipping empty ones', async () => {
    await writeFiles(dir.path, {
      'gaps.yml': '# only a comment\n---\nwho: first\n---\n---\n# nothing\n---\nwho: second\n',
      'single.yml': '---\nwho: alone\n---\n',
    })
    expect(await whoIn('/gaps/default', 'gaps')).toEqual([
      ['file:gaps.yml (document #1)', 'second'],
      ['file:gaps.yml (document #0)', 'first'],
    ])
    expect(await whoIn('/single/default', 'single')).toEqual([['file:single.yml', 'alone']])
  })

  it('ranks a gated document with its file: below profile-specific files and the app file', async () => {
    await writeFiles(dir.path, {
      'application.yml':
        'who: application\n---\nspring.config.activate.on-profile: dev\nwho: application-gated-dev\n',
      'application-dev.yml': 'who: application-dev\n',
      'foo.yml': 'who: foo\n',
    })
    expect(
      sourcesOf(await environment('/foo/dev')).map(([name, source]) => [name, source['who']]),
    ).toEqual([
      ['file:application-dev.yml', 'application-dev'],
      ['file:foo.yml', 'foo'],
      ['file:application.yml (document #1)', 'application-gated-dev'],
      ['file:application.yml (document #0)', 'application'],
    ])
  })
})

describe('.properties files', () => {
  it('serves them as Spring does, above .yml, .yaml and .json of the same name', async () => {
    await writeFiles(dir.path, {
      'foo.yml': 'who: yml\nport: 8080\n',
      'foo.yaml': 'who: yaml\n',
      'foo.json': '{"who": "json"}',
      'foo.properties': [
        '# values are strings, keys are served as written',
        'who = properties',
        'server.port: 9090',
        'greeting=hello \\',
        '   world',
        'hosts[]=a,b',
        '',
      ].join('\n'),
    })
    expect(sourcesOf(await environment('/foo/default'))).toEqual([
      [
        'file:foo.properties',
        {
          who: 'properties',
          'server.port': '9090',
          greeting: 'hello world',
          'hosts[0]': 'a',
          'hosts[1]': 'b',
        },
      ],
      ['file:foo.yml', { who: 'yml', port: 8080 }],
      ['file:foo.yaml', { who: 'yaml' }],
      ['file:foo.json', { who: 'json' }],
    ])
  })

  it('reads them as ISO-8859-1, as Spring does: other characters need \\uXXXX', async () => {
    await writeFile(
      join(dir.path, 'latin.properties'),
      Buffer.concat([
        Buffer.from('latin1=caf', 'latin1'),
        Buffer.from([0xe9]),
        Buffer.from('\nescaped=\\u20ac\nutf8=', 'latin1'),
        Buffer.from('é', 'utf8'),
        Buffer.from('\n', 'latin1'),
      ]),
    )
    expect(sourcesOf(await environment('/latin/default'))).toEqual([
      ['file:latin.properties', { latin1: 'café', escaped: '€', utf8: 'Ã©' }],
    ])
  })

  it('splits documents at #--- and gates them like YAML documents', async () => {
    await writeFiles(dir.path, {
      'app.properties': [
        'who=app',
        '#---',
        'spring.config.activate.on-profile=dev',
        'who=app-dev',
        '!---',
        'spring.profiles=prod',
        'who=app-prod',
        '',
      ].join('\n'),
    })
    expect(sourcesOf(await environment('/app/dev'))).toEqual([
      ['file:app.properties (document #1)', { who: 'app-dev' }],
      ['file:app.properties (document #0)', { who: 'app' }],
    ])
    expect(await whoIn('/app/prod', 'app')).toEqual([
      ['file:app.properties (document #2)', 'app-prod'],
      ['file:app.properties (document #0)', 'app'],
    ])
  })

  it('answers 500 naming the file and line, never the content, for a malformed escape', async () => {
    await writeFiles(dir.path, { 'bad.properties': 'ok=1\nsecret=hunter2\\uZZZZ\n' })
    const response = await server.get('/bad/default')
    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body).toEqual({
      error: 'invalid_config',
      message:
        'bad.properties is not a valid .properties file (malformed \\uXXXX escape at line 2)',
    })
    expect(JSON.stringify(body) + server.log()).not.toContain('hunter2')
  })
})
