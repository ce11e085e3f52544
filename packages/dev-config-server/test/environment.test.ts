// Environments over HTTP: flattening, file names and precedence, labels, multi-document YAML.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir, writeFiles } from '../../../test-support/files.js'
import {
  sourcesOf,
  startInProcessDevConfigServer,
} from '../../../test-support/in-process-dev-config-server.js'
import type { InProcessDevConfigServer } from '../../../test-support/in-process-dev-config-server.js'
import { configNames } from '../src/environment.js'
import { flattenDocument } from '../src/flatten.js'

describe('flattening into Spring property form', () => {
  const flat = (document: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(flattenDocument(document, 'test.yml'))

  it('turns nested maps into dotted keys and lists into indexes, keeping scalar types', () => {
    expect(
      flat({
        server: { port: 8080, ssl: { enabled: false } },
        hosts: ['a', 'b'],
        backends: [{ name: 'orders', urls: ['u1', 'u2'] }, { name: 'payments' }],
        matrix: [
          [1, 2],
          [3, 4],
        ],
        ratio: 0.5,
      }),
    ).toEqual({
      'server.port': 8080,
      'server.ssl.enabled': false,
      'hosts[0]': 'a',
      'hosts[1]': 'b',
      'backends[0].name': 'orders',
      'backends[0].urls[0]': 'u1',
      'backends[0].urls[1]': 'u2',
      'backends[1].name': 'payments',
      'matrix[0][0]': 1,
      'matrix[0][1]': 2,
      'matrix[1][0]': 3,
      'matrix[1][1]': 4,
      ratio: 0.5,
    })
  })

  it('does what Spring does with null, empty lists, empty maps and bracketed keys', () => {
    expect(
      flat({ nothing: null, none: [], empty: {}, map: { '[x.y]': 1, plain: { '[k]': 2 } } }),
    ).toEqual({ nothing: '', none: '', 'map[x.y]': 1, 'map.plain[k]': 2 })
  })

  it('keeps {jwe} secrets and other strings exactly as written', () => {
    const secret = '{jwe}eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d'
    expect(flat({ db: { password: secret }, list: [secret] })).toEqual({
      'db.password': secret,
      'list[0]': secret,
    })
  })

  it('flattens what only a direct caller can pass: a bigint, undefined, a map without a prototype', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 1 })
    expect(flat({ big: 12345678901234567890n, none: undefined, bare })).toEqual({
      big: '12345678901234567890',
      none: '',
      'bare.k': 1,
    })
  })

  it('refuses absurd nesting', () => {
    let deep: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 100; i += 1) deep = { d: deep }
    expect(() => flattenDocument(deep, 'deep.yml')).toThrow(/deep\.yml nests deeper than 64/)
  })
})

describe('config file names and precedence', () => {
  // Where the order comes from: spring-cloud/spring-cloud-config, NativeEnvironmentRepository.java
  // (getEnvironment) runs Spring Boot with spring.config.name=application,{application} (left as
  // is when {application} starts with "application") and spring.profiles.active={profile}.
  // spring-projects/spring-boot, StandardConfigDataLocationResolver.java then lists the files name
  // by name in that order (getReferencesForDirectory), profile by profile for the profile-specific
  // ones (getProfileSpecificReferences), and ConfigDataImporter.java (load) walks that list
  // backwards, so the last name and the last profile win; profile-specific files come after (over)
  // the plain ones. For the extensions of one name, the same resolver puts .properties over .yml
  // over .yaml (getReferencesForConfigName).
  it('follows Spring: profile files over plain files, the last profile first, the app over application', () => {
    expect(configNames(['foo'], ['default'])).toEqual([
      'foo-default',
      'application-default',
      'foo',
      'application',
    ])
    expect(configNames(['foo'], ['dev', 'mysql'])).toEqual([
      'foo-mysql',
      'application-mysql',
      'foo-dev',
      'application-dev',
      'foo',
      'application',
    ])
    expect(configNames(['application'], ['dev'])).toEqual(['application-dev', 'application'])
    expect(configNames(['foo', 'bar'], ['dev'])).toEqual([
      'bar-dev',
      'foo-dev',
      'application-dev',
      'bar',
      'foo',
      'application',
    ])
    expect(configNames(['foo', 'bar'], ['dev', 'db'])).toEqual([
      'bar-db',
      'foo-db',
      'application-db',
      'bar-dev',
      'foo-dev',
      'application-dev',
      'bar',
      'foo',
      'application',
    ])
    expect(configNames(['foo', 'application'], ['dev'])).toEqual([
      'foo-dev',
      'application-dev',
      'foo',
      'application',
    ])
  })

  it('leaves application* out for an application whose name starts with "application", as Spring does', () => {
    expect(configNames(['applicationxyz'], ['dev'])).toEqual([
      'applicationxyz-dev',
      'applicationxyz',
    ])
    expect(configNames(['application-foo', 'bar'], ['dev'])).toEqual([
      'bar-dev',
      'application-foo-dev',
      'bar',
      'application-foo',
    ])
  })
})

interface EnvironmentBody {
  name: string
  profiles: string[]
  label: string | null
  version: string
  state: null
  propertySources: { name: string; source: Record<string, unknown> }[]
}

describe('GET /{application}/{profile}[/{label}]', () => {
  let dir: { path: string; remove: () => Promise<void> }
  let server: InProcessDevConfigServer

  beforeEach(async () => {
    dir = await tempDir('dev-config-server-test-')
    await writeFiles(dir.path, {
      'application.yml': 'who: application\nshared: {a: 1, list: [x, y]}\n',
      'application-dev.yml': 'who: application-dev\n',
      'application-mysql.yaml': 'who: application-mysql\ndb: mysql\n',
      'foo.yml': 'who: foo\nfoo: {only: true}\n',
      'foo.json': '{"who": "foo-json", "fromJson": true}',
      'foo-dev.json': '{"who": "foo-dev", "password": "{jwe}eyJhbGciOiJkaXIifQ..iv.ct.tag"}',
      'bar.yml': 'who: bar\n',
      'notes.txt': 'not config',
    })
    server = await startInProcessDevConfigServer({ dir: dir.path })
  })
  afterEach(async () => {
    await server.stop()
    await dir.remove()
  })

  const environment = async (path: string): Promise<EnvironmentBody> => {
    const response = await server.get(path)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    return (await response.json()) as EnvironmentBody
  }

  it('serves a Spring Cloud Config environment, highest precedence first', async () => {
    const body = await environment('/foo/dev')
    expect(body).toMatchObject({ name: 'foo', profiles: ['dev'], label: null, state: null })
    expect(body.version).toMatch(/^[0-9a-f]{64}$/)
    expect(sourcesOf(body)).toEqual([
      ['file:foo-dev.json', { who: 'foo-dev', password: '{jwe}eyJhbGciOiJkaXIifQ..iv.ct.tag' }],
      ['file:application-dev.yml', { who: 'application-dev' }],
      ['file:foo.yml', { who: 'foo', 'foo.only': true }],
      ['file:foo.json', { who: 'foo-json', fromJson: true }],
      [
        'file:application.yml',
        { who: 'application', 'shared.a': 1, 'shared.list[0]': 'x', 'shared.list[1]': 'y' },
      ],
    ])
  })

  it('takes a comma-separated profile list, the last profile winning', async () => {
    const body = await environment('/foo/dev,mysql')
    expect(body.profiles).toEqual(['dev', 'mysql'])
    expect(body.propertySources.map((source) => source.name)).toEqual([
      'file:application-mysql.yaml',
      'file:foo-dev.json',
      'file:application-dev.yml',
      'file:foo.yml',
      'file:foo.json',
      'file:application.yml',
    ])
    const reversed = await environment('/foo/mysql,dev')
    expect(reversed.propertySources[0]?.name).toBe('file:foo-dev.json')
  })

  it('answers an unknown application with the application* sources only', async () => {
    const body = await environment('/nobody/dev')
    expect(body.name).toBe('nobody')
    expect(sourcesOf(body)).toEqual([
      ['file:application-dev.yml', { who: 'application-dev' }],
      [
        'file:application.yml',
        { who: 'application', 'shared.a': 1, 'shared.list[0]': 'x', 'shared.list[1]': 'y' },
      ],
    ])
  })

  it('answers an empty directory with no property sources', async () => {
    const empty = await tempDir('dev-config-server-empty-')
    const other = await startInProcessDevConfigServer({ dir: empty.path })
    try {
      const response = await other.get('/foo/default')
      expect(response.status).toBe(200)
      expect((await response.json()).propertySources).toEqual([])
    } finally {
      await other.stop()
      await empty.remove()
    }
  })

  it('reads a label from the subdirectory of that name only, and 404s an unknown label', async () => {
    await writeFiles(dir.path, {
      'v2/application.yml': 'who: v2\n',
      'v2/foo-dev.yml': 'who: v2-foo-dev\n',
      'release/1.0/application.yml': 'who: release-1.0\n',
    })
    const body = await environment('/foo/dev/v2')
    expect(body.label).toBe('v2')
    expect(sourcesOf(body)).toEqual([
      ['file:v2/foo-dev.yml', { who: 'v2-foo-dev' }],
      ['file:v2/application.yml', { who: 'v2' }],
    ])
    // Spring Cloud Config's (_) stands for a slash in a label; like Spring, the answer names the
    // label with the slash (EnvironmentController normalizes it before the repository sees it).
    const nested = await environment('/foo/dev/release(_)1.0')
    expect(nested.label).toBe('release/1.0')
    expect(sourcesOf(nested)).toEqual([
      ['file:release/1.0/application.yml', { who: 'release-1.0' }],
    ])

    const missing = await server.get('/foo/dev/nope')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: 'not_found' })
  })

  it('takes a comma-separated application list, the later application winning', async () => {
    const body = await environment('/foo,bar/default')
    expect(body.name).toBe('foo,bar')
    expect(body.propertySources.map((source) => source.name)).toEqual([
      'file:bar.yml',
      'file:foo.yml',
      'file:foo.json',
      'file:application.yml',
    ])
  })

  it('orders several applications and several profiles as Spring does, over HTTP', async () => {
    // The expected order is derived in 'config file names and precedence' above.
    await writeFiles(dir.path, {
      'application-db.yml': 'who: application-db\n',
      'foo-db.yml': 'who: foo-db\n',
      'bar-db.properties': 'who=bar-db\n',
      'bar-dev.yml': 'who: bar-dev\n',
    })
    const body = await environment('/foo,bar/dev,db')
    expect(body).toMatchObject({ name: 'foo,bar', profiles: ['dev', 'db'] })
    expect(body.propertySources.map((source) => source.name)).toEqual([
      'file:bar-db.properties',
      'file:foo-db.yml',
      'file:application-db.yml',
      'file:bar-dev.yml',
      'file:foo-dev.json',
      'file:application-dev.yml',
      'file:bar.yml',
      'file:foo.yml',
      'file:foo.json',
      'file:application.yml',
    ])
    expect(body.propertySources[0]?.source['who']).toBe('bar-db')
  })

  it('splits multi-document YAML, honouring spring.config.activate.on-profile', async () => {
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
        'spring.config.activate.on-profile: [cloud, prod]',
        'who: multi-cloud-or-prod',
        '',
      ].join('\n'),
    })
    const names = async (path: string): Promise<[string, unknown][]> =>
      sourcesOf(await environment(path))
        .filter(([name]) => name.startsWith('file:multi'))
        .map(([name, source]) => [name, source['who']])
    expect(await names('/multi/dev')).toEqual([
      ['file:multi.yml (document #1)', 'multi-dev'],
      ['file:multi.yml (document #0)', 'multi'],
    ])
    expect(await names('/multi/prod')).toEqual([
      ['file:multi.yml (document #3)', 'multi-cloud-or-prod'],
      ['file:multi.yml (document #2)', 'multi-not-dev'],
      ['file:multi.yml (document #0)', 'multi'],
    ])
  })

  it('answers 500 naming the file and line, never its content, when a file does not parse', async () => {
    await writeFiles(dir.path, { 'broken.yml': 'ok: 1\nsecret: "hunter2\n' })
    const response = await server.get('/broken/default')
    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body).toMatchObject({ error: 'invalid_config' })
    expect(body.message).toMatch(/^broken\.yml is not valid YAML \(\w+ at line \d+, column \d+\)$/)
    expect(JSON.stringify(body) + server.log()).not.toContain('hunter2')

    await writeFiles(dir.path, { 'list.yml': '- a\n- b\n', 'dup.yml': 'a: 1\na: 2\n' })
    expect((await (await server.get('/list/default')).json()).message).toBe(
      'list.yml must hold a map at the top level',
    )
    expect((await (await server.get('/dup/default')).json()).message).toMatch(/DUPLICATE_KEY/)
  })
})
