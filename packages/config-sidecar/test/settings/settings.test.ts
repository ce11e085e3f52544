import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  SETTINGS_CONTEXT as context,
  settingsProblems as problemsOf,
} from '../../../../test-support/settings.js'
import { SETTINGS, loadSettings } from '../../src/settings/settings.js'

const binding = (service: object) => JSON.stringify({ 'p.config-server': [service] })

describe('loadSettings', () => {
  it('applies the documented defaults for a file source', () => {
    const { settings, notices } = loadSettings({ CONFIG_SOURCE: 'file:config.yaml' }, context)
    expect(settings).toMatchObject({
      port: 8082,
      healthPort: undefined,
      source: { kind: 'file', path: '/srv/app/config.yaml' },
      pollIntervalMs: 30_000,
      maxStalenessMs: undefined,
      cacheDir: '/tmp/config-sidecar-1000/config-sidecar-cache',
      cacheDirIsDefault: true,
      localAuth: {
        kind: 'generated',
        path: '/tmp/config-sidecar-1000/config-sidecar-8082.token',
        dir: '/tmp/config-sidecar-1000',
      },
      logLevel: 'info',
      writeFiles: [],
      onChange: undefined,
    })
    expect(notices).toEqual([])
  })

  it('reports every bad value at once, each with the variable and its valid form', () => {
    const problems = problemsOf({
      CONFIG_SOURCE: 'ftp://example.com/config',
      CONFIG_SERVER_PORT: '99999',
      CONFIG_POLL_INTERVAL: '30',
      CONFIG_MAX_STALENESS: 'forever',
      CONFIG_LOG_LEVEL: 'loud',
    })
    expect(problems).toHaveLength(5)
    expect(problems[0]).toMatch(/^CONFIG_SERVER_PORT must be a port number from 1 to 65535/)
    expect(
      problems.some((problem) =>
        problem.startsWith('CONFIG_SOURCE must be file:<path> or an http(s):// URL'),
      ),
    ).toBe(true)
    expect(
      problems.some((problem) =>
        problem.startsWith('CONFIG_POLL_INTERVAL must be a duration from 100ms to 24h'),
      ),
    ).toBe(true)
    expect(
      problems.some((problem) => problem.startsWith('CONFIG_MAX_STALENESS must be a duration')),
    ).toBe(true)
    expect(
      problems.some((problem) =>
        problem.startsWith('CONFIG_LOG_LEVEL must be one of debug, info, warn, error'),
      ),
    ).toBe(true)
  })

  it('reports unknown CONFIG_* names as notices so a typo does not pass silently', () => {
    const { notices } = loadSettings(
      { CONFIG_SOURCE: 'file:/c.json', CONFIG_POLL_INTERVALL: '5s', OTHER_VAR: 'x' },
      context,
    )
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/^CONFIG_POLL_INTERVALL is not a known setting/)
  })

  it('knows exactly the names of the SPEC.md settings table, and three of its own', () => {
    const spec = [
      'CONFIG_SERVER_PORT',
      'CONFIG_SOURCE',
      'CONFIG_APP_NAME',
      'CONFIG_PROFILE',
      'CONFIG_LABEL',
      'CONFIG_CLIENT_ID',
      'CONFIG_CLIENT_SECRET',
      'CONFIG_TOKEN_URL',
      'CONFIG_BEARER_TOKEN',
      'CONFIG_KEYS',
      'CONFIG_POLL_INTERVAL',
      'CONFIG_SIDECAR_TOKEN',
      'CONFIG_CACHE_DIR',
      'CONFIG_MAX_STALENESS',
      'CONFIG_WRITE_FILE',
      'CONFIG_ON_CHANGE',
    ]
    // Documented in the reference beyond the SPEC table: turning tokens off, the probe port, logs.
    const own = ['CONFIG_SIDECAR_AUTH', 'CONFIG_HEALTH_PORT', 'CONFIG_LOG_LEVEL']
    expect(SETTINGS.map((setting) => setting.name).sort()).toEqual([...spec, ...own].sort())
  })

  it('never puts a secret value in a problem', () => {
    const problems = problemsOf({
      CONFIG_SOURCE: 'https://user:hunter2-password@config.example.com/app',
      CONFIG_SIDECAR_TOKEN: 'short-s3cret',
      CONFIG_KEYS: 'not-json-private-material',
      CONFIG_CLIENT_SECRET: 'client-s3cret-value',
    })
    const text = problems.join('\n')
    expect(problems.length).toBeGreaterThanOrEqual(3)
    for (const secret of [
      'hunter2',
      'short-s3cret',
      'not-json-private-material',
      'client-s3cret-value',
    ])
      expect(text).not.toContain(secret)
  })

  it('requires all three client credential settings together', () => {
    expect(
      problemsOf({
        CONFIG_SOURCE: 'https://config.example.com/app/default',
        CONFIG_CLIENT_ID: 'app',
      }),
    ).toEqual([
      'CONFIG_CLIENT_SECRET, CONFIG_TOKEN_URL must be set too: OAuth2 client credentials need CONFIG_CLIENT_ID, CONFIG_CLIENT_SECRET and CONFIG_TOKEN_URL',
    ])
  })

  it('refuses a bearer token together with client credentials', () => {
    const problems = problemsOf({
      CONFIG_SOURCE: 'https://config.example.com/app/default',
      CONFIG_BEARER_TOKEN: 'tok',
      CONFIG_CLIENT_ID: 'app',
    })
    expect(problems[0]).toMatch(/CONFIG_BEARER_TOKEN and CONFIG_CLIENT_ID.*exclude each other/)
  })

  it('finds a p.config-server binding in VCAP_SERVICES and builds the Spring URL', () => {
    const { settings } = loadSettings(
      {
        VCAP_APPLICATION: JSON.stringify({ application_name: 'orders' }),
        VCAP_SERVICES: binding({
          name: 'config',
          label: 'p.config-server',
          credentials: {
            uri: 'https://config.example.com/',
            client_id: 'id',
            client_secret: 'secret',
            access_token_uri: 'https://uaa.example.com/oauth/token',
          },
        }),
        CONFIG_PROFILE: 'cloud',
        CONFIG_LABEL: 'release/1',
      },
      context,
    )
    expect(settings.source).toMatchObject({
      kind: 'http',
      // A label with / is sent with (_) in its place, as Spring's client does.
      display: 'https://config.example.com/orders/cloud/release(_)1',
      origin: 'VCAP_SERVICES',
      auth: {
        kind: 'client-credentials',
        clientId: 'id',
        clientSecret: { kind: 'inline', value: 'secret' },
      },
    })
  })

  it('accepts a user-provided service tagged "configuration"', () => {
    const { settings } = loadSettings(
      {
        VCAP_SERVICES: JSON.stringify({
          'user-provided': [
            {
              name: 'my-config',
              label: 'user-provided',
              tags: ['configuration'],
              credentials: { uri: 'http://cfg.internal:8888' },
            },
          ],
        }),
        CONFIG_APP_NAME: 'demo',
      },
      context,
    )
    expect(settings.source).toMatchObject({
      kind: 'http',
      display: 'http://cfg.internal:8888/demo/default',
      auth: { kind: 'none' },
    })
  })

  it('lets CONFIG_SOURCE win over a binding', () => {
    const { settings } = loadSettings(
      {
        CONFIG_SOURCE: 'file:/etc/config',
        VCAP_SERVICES: binding({ label: 'p-config-server', credentials: { uri: 'https://x' } }),
      },
      context,
    )
    expect(settings.source.kind).toBe('file')
  })

  it('needs an application name for a bound config server', () => {
    expect(
      problemsOf({
        VCAP_SERVICES: binding({ label: 'p-config-server', credentials: { uri: 'https://x' } }),
      }),
    ).toEqual(['CONFIG_APP_NAME must be set: VCAP_APPLICATION gives no application name'])
  })

  it('falls back to the default source and keys given on the command line', () => {
    const { settings, notices } = loadSettings(
      {},
      { ...context, defaultSource: 'file:samples/config', defaultKeys: 'samples/keys.json' },
    )
    expect(settings.source).toMatchObject({ kind: 'file', path: '/srv/app/samples/config' })
    expect(settings.keys).toEqual({ kind: 'file', path: '/srv/app/samples/keys.json' })
    expect(notices[0]).toMatch(/serving the sample/)
  })

  it('does not use the default keys with a configured source', () => {
    const { settings } = loadSettings(
      { CONFIG_SOURCE: 'file:/c.json' },
      { ...context, defaultSource: 'file:x', defaultKeys: 'k.json' },
    )
    expect(settings.keys).toBeUndefined()
  })

  it('asks for a source when there is none', () => {
    expect(problemsOf({})[0]).toMatch(/^CONFIG_SOURCE must be set/)
  })

  it('reads the local token settings', () => {
    expect(
      loadSettings(
        { CONFIG_SOURCE: 'file:/c', CONFIG_SIDECAR_TOKEN: 'a-long-enough-token-value' },
        context,
      ).settings.localAuth,
    ).toEqual({
      kind: 'inline',
      token: 'a-long-enough-token-value',
    })
    expect(
      loadSettings({ CONFIG_SOURCE: 'file:/c', CONFIG_SIDECAR_TOKEN: 'file:token' }, context)
        .settings.localAuth,
    ).toEqual({ kind: 'file', path: '/srv/app/token' })
    const off = loadSettings({ CONFIG_SOURCE: 'file:/c', CONFIG_SIDECAR_AUTH: 'none' }, context)
    expect(off.settings.localAuth).toEqual({ kind: 'none' })
    expect(off.notices.join()).toMatch(/only for local experiments/)
  })

  it('puts the token and the cache in $XDG_RUNTIME_DIR when it is set', () => {
    const { settings } = loadSettings(
      { CONFIG_SOURCE: 'file:/c', XDG_RUNTIME_DIR: '/run/user/1000' },
      context,
    )
    expect(settings.localAuth).toEqual({
      kind: 'generated',
      path: '/run/user/1000/config-sidecar-8082.token',
      dir: '/run/user/1000',
    })
    expect(settings.cacheDir).toBe('/run/user/1000/config-sidecar-cache')
    const explicit = loadSettings({ CONFIG_SOURCE: 'file:/c', CONFIG_CACHE_DIR: 'cache' }, context)
    expect(explicit.settings).toMatchObject({
      cacheDir: '/srv/app/cache',
      cacheDirIsDefault: false,
    })
  })

  it('says "did you mean" for a misspelt setting', () => {
    const { notices } = loadSettings(
      { CONFIG_SOURCE: 'file:/c', CONFIG_POLL_INTERVALL: '5s', CONFIG_SOMETHING_ELSE: '1' },
      context,
    )
    expect(notices).toContain(
      'CONFIG_POLL_INTERVALL is not a known setting and is ignored: did you mean CONFIG_POLL_INTERVAL?',
    )
    expect(notices.find((notice) => notice.startsWith('CONFIG_SOMETHING_ELSE'))).toMatch(
      /is not a known setting and is ignored \(known: CONFIG_SERVER_PORT, /,
    )
  })

  it('warns when upstream credentials would travel over plain http:// to another host', () => {
    const warned = (env: Record<string, string>): string[] =>
      loadSettings(env, context).notices.filter((notice) => notice.includes('plain http://'))
    expect(
      warned({ CONFIG_SOURCE: 'http://config.example.com/app/default', CONFIG_BEARER_TOKEN: 't' }),
    ).toEqual(['the bearer token is sent over plain http:// to config.example.com: use https://'])
    expect(
      warned({
        CONFIG_SOURCE: 'https://config.example.com/app/default',
        CONFIG_CLIENT_ID: 'id',
        CONFIG_CLIENT_SECRET: 'secret',
        CONFIG_TOKEN_URL: 'http://uaa.example.com/oauth/token',
      }),
    ).toEqual([
      'the OAuth2 client secret is sent over plain http:// to uaa.example.com: use https://',
    ])
    expect(
      warned({ CONFIG_SOURCE: 'http://127.0.0.1:8888/app/default', CONFIG_BEARER_TOKEN: 't' }),
    ).toEqual([])
    expect(warned({ CONFIG_SOURCE: 'http://config.example.com/app/default' })).toEqual([])
  })

  it('reads CONFIG_WRITE_FILE and CONFIG_ON_CHANGE, one clear line per bad path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'write-file-settings-'))
    try {
      const { settings } = loadSettings(
        {
          CONFIG_SOURCE: 'file:/c',
          CONFIG_WRITE_FILE: `${dir}/app.properties, ${dir}/app.env,${dir}/app.flat.json,${dir}/a.json,${dir}/a.yml`,
          CONFIG_ON_CHANGE: 'kill -HUP 1',
        },
        context,
      )
      expect(settings.writeFiles).toEqual([
        { path: `${dir}/app.properties`, format: 'properties' },
        { path: `${dir}/app.env`, format: 'env' },
        { path: `${dir}/app.flat.json`, format: 'flat' },
        { path: `${dir}/a.json`, format: 'json' },
        { path: `${dir}/a.yml`, format: 'yaml' },
      ])
      expect(settings.onChange).toBe('kill -HUP 1')
      expect(
        problemsOf({
          CONFIG_SOURCE: 'file:/c',
          CONFIG_WRITE_FILE: `${dir}/app.txt,${dir}/missing/app.json,${dir},${dir}/a.env,${dir}/a.env`,
        }),
      ).toEqual([
        `CONFIG_WRITE_FILE ${dir}/app.txt must end in .json, .flat.json, .properties, .env, .yaml or .yml`,
        `CONFIG_WRITE_FILE ${dir}/missing/app.json: the directory ${dir}/missing does not exist`,
        `CONFIG_WRITE_FILE ${dir} must end in .json, .flat.json, .properties, .env, .yaml or .yml`,
        `CONFIG_WRITE_FILE names ${dir}/a.env twice`,
      ])
      mkdirSync(join(dir, 'sub.json'))
      expect(
        problemsOf({ CONFIG_SOURCE: 'file:/c', CONFIG_WRITE_FILE: `${dir}/sub.json` }),
      ).toEqual([`CONFIG_WRITE_FILE ${dir}/sub.json is a directory: name a file in it`])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a health port equal to the data port', () => {
    expect(
      problemsOf({
        CONFIG_SOURCE: 'file:/c',
        CONFIG_SERVER_PORT: '9000',
        CONFIG_HEALTH_PORT: '9000',
      }),
    ).toEqual(['CONFIG_HEALTH_PORT must differ from CONFIG_SERVER_PORT'])
  })
})
