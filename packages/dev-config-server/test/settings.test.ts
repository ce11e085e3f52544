// The settings main.ts reads (every variable, its default, its bounds), in process: the unit
// tests mutation testing runs. The process itself is started in main.test.ts.
import { SettingsError } from '@sample/shared'
import { describe, expect, it } from 'vitest'
import { loadSettings } from '../src/settings.js'

function captureSettingsError(load: () => unknown): SettingsError {
  try {
    load()
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error('expected a SettingsError')
}

describe('settings', () => {
  it('has defaults for everything', () => {
    const { settings, notices } = loadSettings({}, '/work')
    expect(notices).toEqual([])
    expect(settings).toEqual({
      port: 8888,
      host: '127.0.0.1',
      dir: '/work/samples/config',
      clients: {},
      tokenTtlSeconds: 300,
      logLevel: 'info',
    })
  })

  it('reads every variable', () => {
    const { settings } = loadSettings(
      {
        PORT: '0',
        DEV_CONFIG_HOST: '::1',
        DEV_CONFIG_DIR: 'config',
        DEV_CONFIG_CLIENTS: ' a:one , b:two:with:colons ,',
        DEV_CONFIG_TOKEN_TTL: '60',
        DEV_CONFIG_LOG_LEVEL: 'debug',
      },
      '/work',
    )
    expect(settings).toEqual({
      port: 0,
      host: '::1',
      dir: '/work/config',
      clients: { a: 'one', b: 'two:with:colons' },
      tokenTtlSeconds: 60,
      logLevel: 'debug',
    })
  })

  it('names every bad value, never quoting a client entry', () => {
    const error = captureSettingsError(() =>
      loadSettings(
        {
          PORT: '99999',
          DEV_CONFIG_CLIENTS: 'good:x,just-a-secret-value,:nosecretid,dup:1,dup:2',
          DEV_CONFIG_TOKEN_TTL: '0',
          DEV_CONFIG_TOKEN_TIL: '5',
          DEV_CONFIG_LOG_LEVEL: 'loud',
        },
        '/work',
      ),
    )
    const { problems } = error
    expect(problems).toEqual([
      'PORT must be a port number from 0 to 65535 (got "99999")',
      'DEV_CONFIG_TOKEN_TTL must be a whole number of seconds from 1 to 86400 (got "0")',
      expect.stringMatching(/^DEV_CONFIG_CLIENTS entry 2 must be id:secret/),
      expect.stringMatching(/^DEV_CONFIG_CLIENTS entry 3 must be id:secret/),
      'DEV_CONFIG_CLIENTS names client "dup" twice',
      'DEV_CONFIG_LOG_LEVEL must be one of debug, info, warn, error (got "loud")',
    ])
    expect(problems.join('\n')).not.toContain('just-a-secret-value')
    expect(problems.join('\n')).not.toContain('nosecretid')
    expect(loadSettings({ DEV_CONFIG_TOKEN_TIL: '5' }, '/work').notices).toEqual([
      expect.stringMatching(/^DEV_CONFIG_TOKEN_TIL is not a/),
    ])
  })
})

describe('the bounds of each number', () => {
  const portOf = (port: string): number => loadSettings({ PORT: port }, '/work').settings.port
  const ttlOf = (ttl: string): number =>
    loadSettings({ DEV_CONFIG_TOKEN_TTL: ttl }, '/work').settings.tokenTtlSeconds

  it('takes a PORT from 0 to 65535 and nothing else', () => {
    expect(portOf('0')).toBe(0)
    expect(portOf('65535')).toBe(65_535)
    expect(portOf('8080')).toBe(8080)
    expect(portOf('')).toBe(8888)
    expect(portOf(' 80 ')).toBe(80)
    for (const bad of ['65536', '-1', '1e3', '8 0', '0x50', '123456']) {
      expect(captureSettingsError(() => portOf(bad)).problems, bad).toEqual([
        `PORT must be a port number from 0 to 65535 (got ${JSON.stringify(bad)})`,
      ])
    }
  })

  it('takes a DEV_CONFIG_TOKEN_TTL from 1 to 86400 seconds and nothing else', () => {
    expect(ttlOf('1')).toBe(1)
    expect(ttlOf('86400')).toBe(86_400)
    expect(ttlOf('')).toBe(300)
    for (const bad of ['0', '86401', '999999', '1000000', '1.5', '-5', 'a minute']) {
      expect(captureSettingsError(() => ttlOf(bad)).problems, bad).toEqual([
        `DEV_CONFIG_TOKEN_TTL must be a whole number of seconds from 1 to 86400 (got ${JSON.stringify(bad)})`,
      ])
    }
  })
})

describe('DEV_CONFIG_CLIENTS', () => {
  const clientsOf = (value: string): Record<string, string> =>
    loadSettings({ DEV_CONFIG_CLIENTS: value }, '/work').settings.clients

  it('trims the id and the entry, keeps the secret after the first colon, skips empty entries', () => {
    expect(clientsOf(',, a : one ,b:two ,')).toEqual({ a: ' one', b: 'two' })
    expect(clientsOf('')).toEqual({})
  })

  it('numbers a bad entry by its place, counting empty ones, and quotes none', () => {
    const { problems } = captureSettingsError(() => clientsOf('a:1,,secret-alone,b:'))
    expect(problems).toEqual([
      'DEV_CONFIG_CLIENTS entry 3 must be id:secret with a non-empty id and secret (entries are separated by commas)',
      'DEV_CONFIG_CLIENTS entry 4 must be id:secret with a non-empty id and secret (entries are separated by commas)',
    ])
  })

  it('takes a client id that is also an Object.prototype name as an ordinary id', () => {
    expect(clientsOf('constructor:one,toString:two')).toEqual({
      constructor: 'one',
      toString: 'two',
    })
  })
})

describe('notices', () => {
  it('name only unknown DEV_CONFIG_ variables: not the known ones, not other variables', () => {
    const { notices } = loadSettings(
      {
        HOME: '/home/someone',
        PORT: '0',
        DEV_CONFIG_HOST: '::1',
        DEV_CONFIG_DIR: 'config',
        DEV_CONFIG_CLIENTS: 'a:b',
        DEV_CONFIG_TOKEN_TTL: '60',
        DEV_CONFIG_LOG_LEVEL: 'warn',
        DEV_CONFIG_DIRS: 'typo',
      },
      '/work',
    )
    expect(notices).toEqual([
      'DEV_CONFIG_DIRS is not a dev-config-server setting (ignored); is it a typo?',
    ])
  })
})
