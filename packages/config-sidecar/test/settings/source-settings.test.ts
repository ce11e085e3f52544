// The source settings as loadSettings reads them: CONFIG_SOURCE (file or URL), the sample fallback,
// the upstream credentials and the notices for settings that do not apply.
import { describe, expect, it } from 'vitest'
import {
  SETTINGS_CONTEXT as context,
  settingsProblems as problemsOf,
} from '../../../../test-support/settings.js'
import { loadSettings } from '../../src/settings/settings.js'

const CLIENT_NEEDS =
  'must be set too: OAuth2 client credentials need CONFIG_CLIENT_ID, CONFIG_CLIENT_SECRET and CONFIG_TOKEN_URL'

describe('CONFIG_SOURCE', () => {
  it('resolves a relative file: path and shows it as file:<absolute path>', () => {
    const { settings, notices } = loadSettings({ CONFIG_SOURCE: 'file:config/app.yaml' }, context)
    expect(settings.source).toEqual({
      kind: 'file',
      path: '/srv/app/config/app.yaml',
      display: 'file:/srv/app/config/app.yaml',
    })
    expect(notices).toEqual([])
  })

  it('refuses file: with no path', () => {
    expect(problemsOf({ CONFIG_SOURCE: 'file:' })).toEqual([
      'CONFIG_SOURCE must be file:<path> or an http(s):// URL (got "file:" with no path)',
    ])
  })

  it('says upstream credentials are ignored for a file source', () => {
    expect(
      loadSettings({ CONFIG_SOURCE: 'file:/etc/config.json', CONFIG_BEARER_TOKEN: 'tok' }, context)
        .notices,
    ).toEqual(['upstream credentials are ignored: the source is a file'])
  })

  it('takes an http(s) URL as is, with CONFIG_SOURCE as its origin', () => {
    const { settings } = loadSettings(
      { CONFIG_SOURCE: 'HTTPS://config.example.com/orders/default?x=1' },
      context,
    )
    expect(settings.source).toEqual({
      kind: 'http',
      url: new URL('https://config.example.com/orders/default?x=1'),
      display: 'https://config.example.com/orders/default',
      auth: { kind: 'none' },
      origin: 'CONFIG_SOURCE',
    })
  })

  it('refuses a scheme that only contains http://', () => {
    expect(problemsOf({ CONFIG_SOURCE: 'xhttp://config.example.com/app' })).toEqual([
      'CONFIG_SOURCE must be file:<path> or an http(s):// URL (got "xhttp://config.example.com/app")',
    ])
  })

  it('says the Spring coordinates are ignored when CONFIG_SOURCE names the source', () => {
    const { notices } = loadSettings(
      {
        CONFIG_SOURCE: 'file:/etc/config.json',
        CONFIG_APP_NAME: 'orders',
        CONFIG_PROFILE: 'cloud',
        CONFIG_LABEL: 'main',
      },
      context,
    )
    expect(notices).toEqual([
      'CONFIG_APP_NAME is ignored: CONFIG_SOURCE names the source',
      'CONFIG_PROFILE is ignored: CONFIG_SOURCE names the source',
      'CONFIG_LABEL is ignored: CONFIG_SOURCE names the source',
    ])
    expect(
      loadSettings({ CONFIG_SOURCE: 'file:/etc/config.json', CONFIG_LABEL: 'main' }, context)
        .notices,
    ).toEqual(['CONFIG_LABEL is ignored: CONFIG_SOURCE names the source'])
  })
})

describe('the sample fallback (--default-source)', () => {
  it('serves the default file source without credentials and with only its notice', () => {
    const { settings, notices } = loadSettings(
      {},
      { ...context, defaultSource: 'file:samples/config' },
    )
    expect(settings.source).toEqual({
      kind: 'file',
      path: '/srv/app/samples/config',
      display: 'file:/srv/app/samples/config',
    })
    expect(notices).toEqual([
      'no CONFIG_SOURCE and no config server bound: serving the sample at file:samples/config',
    ])
    const http = loadSettings(
      {},
      { ...context, defaultSource: 'http://127.0.0.1:8888/app/default' },
    )
    expect(http.settings.source).toMatchObject({ kind: 'http', auth: { kind: 'none' } })
  })

  it('names --default-source when its value is not a source', () => {
    expect(problemsOf({}, { defaultSource: 'samples/config' })).toEqual([
      '--default-source must be file:<path> or an http(s):// URL (got "samples/config")',
    ])
  })
})

describe('upstream client credentials', () => {
  const source = { CONFIG_SOURCE: 'https://config.example.com/app/default' }
  const id = { CONFIG_CLIENT_ID: 'app' }
  const secret = { CONFIG_CLIENT_SECRET: 'file:/run/secrets/client' }
  const tokenUrl = { CONFIG_TOKEN_URL: 'https://uaa.example.com/oauth/token' }

  it('takes all three together', () => {
    expect(
      loadSettings({ ...source, ...id, ...secret, ...tokenUrl }, context).settings.source,
    ).toMatchObject({
      auth: {
        kind: 'client-credentials',
        clientId: 'app',
        clientSecret: { kind: 'file', path: '/run/secrets/client' },
        tokenUrl: new URL('https://uaa.example.com/oauth/token'),
      },
    })
  })

  it('names exactly the ones missing', () => {
    expect(problemsOf({ ...source, ...secret, ...tokenUrl })).toEqual([
      `CONFIG_CLIENT_ID ${CLIENT_NEEDS}`,
    ])
    expect(problemsOf({ ...source, ...id, ...tokenUrl })).toEqual([
      `CONFIG_CLIENT_SECRET ${CLIENT_NEEDS}`,
    ])
    expect(problemsOf({ ...source, ...id, ...secret })).toEqual([
      `CONFIG_TOKEN_URL ${CLIENT_NEEDS}`,
    ])
    expect(problemsOf({ ...source, ...tokenUrl })).toEqual([
      `CONFIG_CLIENT_ID, CONFIG_CLIENT_SECRET ${CLIENT_NEEDS}`,
    ])
    expect(problemsOf({ ...source, ...secret })).toEqual([
      `CONFIG_CLIENT_ID, CONFIG_TOKEN_URL ${CLIENT_NEEDS}`,
    ])
  })

  it('refuses a token URL that is not http(s), shown without credentials or query', () => {
    expect(
      problemsOf({
        ...source,
        ...id,
        ...secret,
        CONFIG_TOKEN_URL: 'ftp://user:pw@uaa.example.com/oauth/token?key=1',
      }),
    ).toEqual([
      'CONFIG_TOKEN_URL must be an http(s):// URL (got "ftp://uaa.example.com/oauth/token")',
    ])
  })
})
