// The exact problems and notices of loadSettings beyond the source: values shown in problems, the
// keys, the probe port, local-caller auth, config as files, plain-http warnings and "did you mean".
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  SETTINGS_CONTEXT as context,
  settingsProblems as problemsOf,
} from '../../../../test-support/settings.js'
import { SETTINGS, loadSettings, nearestName } from '../../src/settings/settings.js'

describe('a bad value shown in a problem', () => {
  const notASource = (shown: string): string =>
    `CONFIG_SOURCE must be file:<path> or an http(s):// URL (got ${JSON.stringify(shown)})`

  it('loses its URL credentials, query and fragment', () => {
    expect(problemsOf({ CONFIG_SOURCE: 'https://user:pa/ss@exa mple.com/x?token=abc' })).toEqual([
      'CONFIG_SOURCE must be an http(s):// URL (got "https://exa mple.com/x")',
    ])
    expect(problemsOf({ CONFIG_SOURCE: 'config.example.com/app#token=abc' })).toEqual([
      notASource('config.example.com/app'),
    ])
    expect(
      problemsOf({
        CONFIG_TOKEN_URL: 'not a url',
        CONFIG_CLIENT_ID: 'id',
        CONFIG_CLIENT_SECRET: 's',
        CONFIG_SOURCE: 'file:/c',
      }),
    ).toEqual(['CONFIG_TOKEN_URL must be an http(s):// URL (got "not a url")'])
  })

  it('is shown whole up to 80 characters, and cut to 77 and "..." beyond', () => {
    const eighty = `config-${'a'.repeat(73)}`
    expect(eighty).toHaveLength(80)
    expect(problemsOf({ CONFIG_SOURCE: eighty })).toEqual([notASource(eighty)])
    expect(problemsOf({ CONFIG_SOURCE: `${eighty}b` })).toEqual([
      notASource(`${eighty.slice(0, 77)}...`),
    ])
  })
})

describe('CONFIG_KEYS', () => {
  it('resolves a relative file: path against the working directory', () => {
    expect(
      loadSettings(
        { CONFIG_SOURCE: 'file:/c', CONFIG_KEYS: 'file:keys/private.jwks.json' },
        context,
      ).settings.keys,
    ).toEqual({ kind: 'file', path: '/srv/app/keys/private.jwks.json' })
  })

  it('replaces the demo keys for the sample when set', () => {
    expect(
      loadSettings(
        { CONFIG_KEYS: '{"keys":[]}' },
        { ...context, defaultSource: 'file:samples/config', defaultKeys: 'samples/keys.json' },
      ).settings.keys,
    ).toEqual({ kind: 'inline', value: '{"keys":[]}' })
  })

  it('stays unset for the sample when no demo keys are given', () => {
    expect(
      loadSettings({}, { ...context, defaultSource: 'file:samples/config' }).settings.keys,
    ).toBeUndefined()
  })
})

describe('CONFIG_HEALTH_PORT', () => {
  it('is taken when it differs from the data port', () => {
    const { settings } = loadSettings(
      { CONFIG_SOURCE: 'file:/c', CONFIG_HEALTH_PORT: '9001' },
      context,
    )
    expect(settings).toMatchObject({ port: 8082, healthPort: 9001 })
  })
})

describe('CONFIG_SIDECAR_AUTH=none', () => {
  const NONE =
    'CONFIG_SIDECAR_AUTH is none: any local process may read the config; use this only for local experiments'

  it('says so, and that a CONFIG_SIDECAR_TOKEN set beside it is ignored', () => {
    expect(
      loadSettings({ CONFIG_SOURCE: 'file:/c', CONFIG_SIDECAR_AUTH: 'none' }, context).notices,
    ).toEqual([NONE])
    expect(
      loadSettings(
        {
          CONFIG_SOURCE: 'file:/c',
          CONFIG_SIDECAR_AUTH: 'none',
          CONFIG_SIDECAR_TOKEN: 'a-long-enough-token-value',
        },
        context,
      ).notices,
    ).toEqual(['CONFIG_SIDECAR_TOKEN is ignored: CONFIG_SIDECAR_AUTH is none', NONE])
  })
})

describe('config as files', () => {
  const file = (name: string): string => join(tmpdir(), name)

  it('refuses an empty path in CONFIG_WRITE_FILE', () => {
    expect(
      problemsOf({
        CONFIG_SOURCE: 'file:/c',
        CONFIG_WRITE_FILE: `${file('a.json')}, ,${file('b.json')}`,
      }),
    ).toEqual([
      'CONFIG_WRITE_FILE must be one or more paths separated by commas (got an empty one)',
    ])
  })

  it('notes a CONFIG_ON_CHANGE without files to write, and only then', () => {
    expect(
      loadSettings({ CONFIG_SOURCE: 'file:/c', CONFIG_ON_CHANGE: 'kill -HUP 1' }, context).notices,
    ).toEqual([
      'CONFIG_ON_CHANGE runs after the files of CONFIG_WRITE_FILE are written; it is set without them and runs after every change',
    ])
    expect(
      loadSettings(
        {
          CONFIG_SOURCE: 'file:/c',
          CONFIG_WRITE_FILE: file('app.properties'),
          CONFIG_ON_CHANGE: 'kill -HUP 1',
        },
        context,
      ).notices,
    ).toEqual([])
  })
})

describe('credentials over plain http://', () => {
  const noticesOf = (env: Record<string, string>): readonly string[] =>
    loadSettings(env, context).notices

  it('warns with exactly one notice per exposed credential', () => {
    expect(
      noticesOf({
        CONFIG_SOURCE: 'http://config.example.com/app/default',
        CONFIG_BEARER_TOKEN: 't',
      }),
    ).toEqual(['the bearer token is sent over plain http:// to config.example.com: use https://'])
    expect(
      noticesOf({
        CONFIG_SOURCE: 'http://config.example.com:8888/app/default',
        CONFIG_CLIENT_ID: 'id',
        CONFIG_CLIENT_SECRET: 'secret',
        CONFIG_TOKEN_URL: 'https://uaa.example.com/oauth/token',
      }),
    ).toEqual([
      'the OAuth2 access token is sent over plain http:// to config.example.com:8888: use https://',
    ])
    expect(
      noticesOf({
        CONFIG_SOURCE: 'https://config.example.com/app/default',
        CONFIG_BEARER_TOKEN: 't',
      }),
    ).toEqual([])
  })

  it('does not warn for loopback names', () => {
    for (const host of ['localhost', 'config.localhost', '127.0.0.1', '127.10.200.3', '[::1]'])
      expect(
        noticesOf({ CONFIG_SOURCE: `http://${host}:8888/app/default`, CONFIG_BEARER_TOKEN: 't' }),
      ).toEqual([])
  })

  it('warns for names that only look like loopback', () => {
    for (const host of ['localhost.example.com', 'localhostx', '127.0.0.1.example.com'])
      expect(
        noticesOf({ CONFIG_SOURCE: `http://${host}/app/default`, CONFIG_BEARER_TOKEN: 't' }),
      ).toEqual([`the bearer token is sent over plain http:// to ${host}: use https://`])
  })
})

describe('did you mean', () => {
  const known = SETTINGS.map((setting) => setting.name)
  const noticeFor = (name: string): string | undefined =>
    loadSettings({ CONFIG_SOURCE: 'file:/c', [name]: '1' }, context).notices[0]

  it('suggests a setting up to three edits away, and none four away', () => {
    expect(noticeFor('CONFIG_POLL_INTERVALXYZ')).toBe(
      'CONFIG_POLL_INTERVALXYZ is not a known setting and is ignored: did you mean CONFIG_POLL_INTERVAL?',
    )
    expect(noticeFor('CONFIG_LABELWXYZ')).toBe(
      `CONFIG_LABELWXYZ is not a known setting and is ignored (known: ${known.join(', ')})`,
    )
  })

  it('picks the nearest name, the first of equals, and nothing half the name away', () => {
    expect(nearestName('CONFIG_KEY', ['CONFIG_KEYS', 'CONFIG_KEYSXY'])).toBe('CONFIG_KEYS')
    expect(nearestName('CONFIG_KEY', ['CONFIG_KEYSXY', 'CONFIG_KEYS'])).toBe('CONFIG_KEYS')
    expect(nearestName('CONFIG_KEY', ['CONFIG_KEYA', 'CONFIG_KEYB'])).toBe('CONFIG_KEYA')
    expect(nearestName('ABCDEF', ['ABCXYZ'])).toBeUndefined()
    expect(nearestName('ABCDEFG', ['ABCDXYZ'])).toBe('ABCDXYZ')
  })
})
