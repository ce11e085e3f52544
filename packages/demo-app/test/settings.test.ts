// The settings main.ts reads (PORT, CONFIG_SERVER_PORT, CONFIG_SIDECAR_TOKEN, CONFIG_SIDECAR_AUTH:
// every default, bound and message), in process: the unit tests mutation testing runs. The built
// app reading them as a process is in test/e2e/.
import { SettingsError } from '@sample/shared'
import { describe, expect, it } from 'vitest'
import { loadAppSettings } from '../src/settings.js'

const context = { tmpDir: '/tmp', uid: 1000 }

function captureSettingsError(load: () => unknown): SettingsError {
  try {
    load()
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error('expected a SettingsError')
}

describe('the demo app’s settings', () => {
  it('has defaults for everything: 8080, the sidecar on 8082, the token file the sidecar writes', () => {
    expect(loadAppSettings({}, context)).toEqual({
      port: 8080,
      sidecarPort: 8082,
      sidecarUrl: 'http://127.0.0.1:8082',
      token: { kind: 'file', path: '/tmp/config-sidecar-1000/config-sidecar-8082.token' },
    })
  })

  it('reads every variable', () => {
    expect(
      loadAppSettings(
        {
          PORT: ' 3000 ',
          CONFIG_SERVER_PORT: '9000',
          CONFIG_SIDECAR_TOKEN: 'an-inline-token',
          CONFIG_SIDECAR_AUTH: 'token',
        },
        context,
      ),
    ).toEqual({
      port: 3000,
      sidecarPort: 9000,
      sidecarUrl: 'http://127.0.0.1:9000',
      token: { kind: 'inline', value: 'an-inline-token' },
    })
  })

  it('takes the token from a file when CONFIG_SIDECAR_TOKEN says file:<path>', () => {
    expect(
      loadAppSettings({ CONFIG_SIDECAR_TOKEN: 'file:/run/secrets/token' }, context).token,
    ).toEqual({ kind: 'file', path: '/run/secrets/token' })
  })

  it('uses no token with CONFIG_SIDECAR_AUTH=none, even when one is set', () => {
    expect(loadAppSettings({ CONFIG_SIDECAR_AUTH: 'none' }, context).token).toBeUndefined()
    expect(
      loadAppSettings({ CONFIG_SIDECAR_AUTH: 'none', CONFIG_SIDECAR_TOKEN: 'x' }, context).token,
    ).toBeUndefined()
  })

  it('finds the default token file under the sidecar’s port, in XDG_RUNTIME_DIR when it is absolute', () => {
    expect(
      loadAppSettings({ CONFIG_SERVER_PORT: '9100', XDG_RUNTIME_DIR: '/run/user/7' }, context)
        .token,
    ).toEqual({ kind: 'file', path: '/run/user/7/config-sidecar-9100.token' })
    expect(
      loadAppSettings({ XDG_RUNTIME_DIR: 'relative' }, { tmpDir: '/var/tmp', uid: 0 }).token,
    ).toEqual({ kind: 'file', path: '/var/tmp/config-sidecar-0/config-sidecar-8082.token' })
  })

  it('takes the uid of the process when none is given', () => {
    const uid = process.getuid?.() ?? 0
    expect(loadAppSettings({}, { tmpDir: '/tmp' }).token).toEqual({
      kind: 'file',
      path: `/tmp/config-sidecar-${uid}/config-sidecar-8082.token`,
    })
  })

  it('accepts the ports’ bounds, 1 and 65535', () => {
    const low = loadAppSettings({ PORT: '1', CONFIG_SERVER_PORT: '65535' }, context)
    expect([low.port, low.sidecarPort]).toEqual([1, 65535])
  })

  it('refuses bad values with every problem at once, each naming the variable and the valid form', () => {
    const error = captureSettingsError(() =>
      loadAppSettings(
        {
          PORT: '0',
          CONFIG_SERVER_PORT: '65536',
          CONFIG_SIDECAR_AUTH: 'basic',
          CONFIG_SIDECAR_TOKEN: 'file:',
        },
        context,
      ),
    )
    expect(error.problems).toEqual([
      'PORT must be a port number from 1 to 65535 (got "0")',
      'CONFIG_SERVER_PORT must be a port number from 1 to 65535 (got "65536")',
      'CONFIG_SIDECAR_AUTH must be one of token, none (got "basic")',
      'CONFIG_SIDECAR_TOKEN must be a value or file:<path> naming a file (got "file:")',
    ])
    expect(error.message).toContain('invalid settings:')
  })

  it('refuses a single bad value', () => {
    expect(captureSettingsError(() => loadAppSettings({ PORT: 'http' }, context)).problems).toEqual(
      ['PORT must be a port number from 1 to 65535 (got "http")'],
    )
  })
})
