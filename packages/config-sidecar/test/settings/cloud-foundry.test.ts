// Cloud Foundry discovery as loadSettings sees it: which VCAP_SERVICES entry is the config server,
// what a broken binding is told, the credentials taken from it and the name from VCAP_APPLICATION.
import { describe, expect, it } from 'vitest'
import {
  SETTINGS_CONTEXT as context,
  settingsProblems as problemsOf,
} from '../../../../test-support/settings.js'
import { loadSettings } from '../../src/settings/settings.js'

const NO_SOURCE =
  'CONFIG_SOURCE must be set to file:<path> or an http(s):// URL, or a config server must be bound (VCAP_SERVICES: p.config-server, p-config-server, or a service tagged "configuration")'

/** VCAP_SERVICES holding these instances under the given offering label. */
const services = (byLabel: Record<string, unknown>): string => JSON.stringify(byLabel)

const configServer = (instance: Record<string, unknown>): string =>
  services({ 'p.config-server': [instance] })

const withApp = (env: Record<string, string>): Record<string, string> => ({
  VCAP_APPLICATION: JSON.stringify({ application_name: 'orders' }),
  ...env,
})

describe('Cloud Foundry config server discovery', () => {
  it('says VCAP_SERVICES must be JSON when it is not, and still asks for a source', () => {
    expect(problemsOf({ VCAP_SERVICES: '{not json' })).toEqual([
      'VCAP_SERVICES must be JSON, as Cloud Foundry sets it (could not parse it)',
      NO_SOURCE,
    ])
  })

  it('treats a VCAP_SERVICES of null, a number or a string as no binding', () => {
    for (const raw of ['null', '42', '"p.config-server"'])
      expect(problemsOf({ VCAP_SERVICES: raw })).toEqual([NO_SOURCE])
  })

  it('skips entries that are not service instances', () => {
    const { settings } = loadSettings(
      withApp({
        VCAP_SERVICES: services({
          'not-a-list': { label: 'p.config-server', credentials: { uri: 'https://wrong' } },
          'p.config-server': [
            null,
            42,
            'p.config-server',
            {
              name: 'config',
              label: 'p.config-server',
              credentials: { uri: 'https://config.example.com' },
            },
          ],
        }),
      }),
      context,
    )
    expect(settings.source).toMatchObject({
      display: 'https://config.example.com/orders/default',
    })
  })

  it('passes over bound services that are not config servers', () => {
    const { settings } = loadSettings(
      withApp({
        VCAP_SERVICES: services({
          postgres: [
            {
              name: 'db',
              label: 'postgres',
              tags: ['relational', 'config'],
              credentials: { uri: 'postgres://db.example.com:5432/orders' },
            },
          ],
          'user-provided': [
            {
              name: 'logs',
              label: 'user-provided',
              tags: 'configuration',
              credentials: { uri: 'syslog://logs.example.com' },
            },
            { name: 'odd', label: 7, credentials: { uri: 'https://odd.example.com' } },
          ],
          'p-config-server': [
            { name: 'config', label: 'p-config-server', credentials: { uri: 'https://cfg' } },
          ],
        }),
      }),
      context,
    )
    expect(settings.source).toMatchObject({
      kind: 'http',
      display: 'https://cfg/orders/default',
      origin: 'VCAP_SERVICES',
    })
  })

  it('names a service without credentials by its name, else by its label, and asks for nothing else', () => {
    expect(
      problemsOf(
        withApp({ VCAP_SERVICES: configServer({ name: 'my-config', label: 'p.config-server' }) }),
      ),
    ).toEqual(['VCAP_SERVICES service "my-config" has no credentials'])
    expect(
      problemsOf(
        withApp({ VCAP_SERVICES: configServer({ label: 'p-config-server', credentials: null }) }),
      ),
    ).toEqual(['VCAP_SERVICES service "p-config-server" has no credentials'])
    expect(
      problemsOf(
        withApp({ VCAP_SERVICES: configServer({ label: 'p.config-server', credentials: 'uri' }) }),
      ),
    ).toEqual(['VCAP_SERVICES service "p.config-server" has no credentials'])
  })

  it('asks for credentials.uri when the binding has none', () => {
    expect(
      problemsOf(
        withApp({
          VCAP_SERVICES: configServer({
            name: 'config',
            label: 'p.config-server',
            credentials: { url: 'https://config.example.com' },
          }),
        }),
      ),
    ).toEqual(['VCAP_SERVICES service "config" must have credentials.uri (the config server URL)'])
  })

  it('names the binding when its uri is not an http(s) URL', () => {
    expect(
      problemsOf(
        withApp({
          VCAP_SERVICES: configServer({
            name: 'config',
            label: 'p.config-server',
            credentials: { uri: 'ftp://config.example.com/base' },
          }),
        }),
      ),
    ).toEqual([
      'VCAP_SERVICES credentials.uri of "config" must be an http(s):// URL (got "ftp://config.example.com/base")',
    ])
  })

  it('joins the uri and the coordinates with one slash, however many the uri ends in', () => {
    const { settings } = loadSettings(
      withApp({
        VCAP_SERVICES: configServer({
          label: 'p.config-server',
          credentials: { uri: 'https://config.example.com/base//' },
        }),
      }),
      context,
    )
    expect(settings.source).toMatchObject({
      display: 'https://config.example.com/base/orders/default',
    })
  })
})

describe('credentials taken from a binding', () => {
  const full = {
    uri: 'https://config.example.com',
    client_id: 'id',
    client_secret: 'secret',
    access_token_uri: 'https://uaa.example.com/oauth/token',
  }
  const authOf = (credentials: Record<string, unknown>): unknown =>
    loadSettings(
      withApp({ VCAP_SERVICES: configServer({ label: 'p.config-server', credentials }) }),
      context,
    ).settings.source

  it('logs in with client credentials only when all three are strings', () => {
    expect(authOf(full)).toMatchObject({
      auth: {
        kind: 'client-credentials',
        clientId: 'id',
        clientSecret: { kind: 'inline', value: 'secret' },
        tokenUrl: new URL('https://uaa.example.com/oauth/token'),
      },
    })
    const without = (key: keyof typeof full): Record<string, unknown> =>
      Object.fromEntries(Object.entries(full).filter(([name]) => name !== key))
    for (const credentials of [
      without('client_id'),
      without('client_secret'),
      without('access_token_uri'),
      { ...full, client_id: 42 },
      { uri: full.uri, access_token_uri: full.access_token_uri },
    ])
      expect(authOf(credentials)).toMatchObject({ auth: { kind: 'none' } })
  })

  it('names the binding when its access_token_uri is not an http(s) URL', () => {
    expect(
      problemsOf(
        withApp({
          VCAP_SERVICES: configServer({
            name: 'config',
            label: 'p.config-server',
            credentials: { ...full, access_token_uri: 'ldap://uaa.example.com/token' },
          }),
        }),
      ),
    ).toEqual([
      'VCAP_SERVICES credentials.access_token_uri of "config" must be an http(s):// URL (got "ldap://uaa.example.com/token")',
    ])
  })
})

describe('the application name from VCAP_APPLICATION', () => {
  const bound = configServer({ label: 'p.config-server', credentials: { uri: 'https://cfg' } })
  const NO_APP = 'CONFIG_APP_NAME must be set: VCAP_APPLICATION gives no application name'

  it('takes application_name, else name', () => {
    const displayOf = (app: object): string =>
      loadSettings({ VCAP_SERVICES: bound, VCAP_APPLICATION: JSON.stringify(app) }, context)
        .settings.source.display
    expect(displayOf({ application_name: 'orders', name: 'other' })).toBe(
      'https://cfg/orders/default',
    )
    expect(displayOf({ name: 'billing' })).toBe('https://cfg/billing/default')
  })

  it('asks for CONFIG_APP_NAME when the name is empty, not a string or unreadable', () => {
    for (const app of ['{"application_name":""}', '{"application_name":42}', '{}', '{oops'])
      expect(problemsOf({ VCAP_SERVICES: bound, VCAP_APPLICATION: app })).toEqual([NO_APP])
  })
})
