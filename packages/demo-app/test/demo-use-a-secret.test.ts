// How the app itself uses a secret: its own process reads the sidecar's full view on 127.0.0.1 with
// the token, and the value is handed to the app's code, never served and never logged.
import { createLogger } from '@sample/shared'
import { describe, expect, it } from 'vitest'
import { fakeSidecar } from '../../../test-support/fake-sidecar.js'
import { startInProcessApp } from '../../../test-support/in-process-app.js'
import { parsed } from '../../../test-support/logs.js'
import { onCleanup } from '../../../test-support/servers.js'
import { waitFor } from '../../../test-support/wait.js'
import { createSidecarClient } from '../src/sidecar-client.js'
import { readSecretAtStart } from '../src/use-a-secret.js'

function start(port: number, key: string, token = 'token-1234567890abcdef') {
  const logs: string[] = []
  const used: string[] = []
  const reading = readSecretAtStart({
    sidecar: createSidecarClient(`http://127.0.0.1:${port}`, { kind: 'inline', value: token }),
    logger: createLogger({ write: (line) => logs.push(line) }),
    key,
    use: (value) => used.push(value),
    retryMs: 50,
  })
  onCleanup(() => reading.stop())
  return { logs, used, reading }
}

describe('reading a secret in the app', () => {
  it('reads the full view with the token, hands the value to the app, logs the key and never the value', async () => {
    const sidecar = await fakeSidecar()
    const { logs, used, reading } = start(sidecar.port, 'database.password')
    await reading.done
    expect(used).toEqual(['fixture-db-pw'])
    expect(sidecar.seen.map(({ url, authorization }) => ({ url, authorization }))).toEqual([
      { url: '/config/database/password', authorization: 'Bearer token-1234567890abcdef' },
    ])
    const text = logs.join('\n')
    expect(text).toContain('database.password')
    expect(text).not.toContain('fixture-db-pw')
  })

  it('waits for a sidecar that is not up yet, then reads; a missing key is said once, without retrying', async () => {
    const sidecar = await fakeSidecar()
    await sidecar.down()
    const { logs, used, reading } = start(sidecar.port, 'database.password')
    await waitFor(() => (parsed(logs).length > 0 ? true : undefined))
    expect(used).toEqual([])
    await sidecar.up()
    await reading.done
    expect(used).toEqual(['fixture-db-pw'])
    expect(sidecar.seen.length).toBeGreaterThan(0)

    const missing = start(sidecar.port, 'no.such.key')
    await missing.reading.done
    expect(missing.used).toEqual([])
    expect(parsed(missing.logs).map((line) => line['msg'])).toEqual([
      'no secret at no.such.key in the config: the app goes on without it',
    ])
  })

  it('is not what GET /config serves: the public route answers the redacted view', async () => {
    const sidecar = await fakeSidecar()
    const app = await startInProcessApp(sidecar.port)
    const body = await (await fetch(`${app.url}/config`)).text()
    expect(body).toContain('[redacted]')
    expect(body).not.toContain('fixture-db-pw')
  })
})
