// When the operations routes (`/status`, `/metrics`, `/refresh`, the 404; loaded on first use, with
// express) cannot be loaded, as with a broken install, the loopback listener answers those requests
// 500 with the fixed internal-error body, logs why once per request, and keeps serving config. The
// module of our own operations routes is replaced by one whose app cannot be built; nothing else is.
import { describe, expect, it, vi } from 'vitest'
import { rawRequest } from '../../../../test-support/http.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import { listenLoopback } from '../../../../test-support/loopback-listener.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { createConfigStore } from '../../src/state/store.js'

// Building the app fails as loading express would: the listener sees the same rejected promise.
vi.mock('../../src/http/operations.js', () => ({
  createOperationsApp: () => {
    throw new Error('Cannot find package express')
  },
}))

describe('a loopback listener whose operations routes cannot be loaded', () => {
  it('answers them 500, logs why, and still serves config and probes', async () => {
    const store = createConfigStore()
    store.accept(servedConfig({ greeting: 'hello' }, 'v1'))
    const { logger, lines } = recordingLogger()
    const { url } = await listenLoopback({
      store,
      retryAfterSeconds: 1,
      logger,
      sourceDisplay: 'file:/test/config.json',
    })
    for (const path of ['/status', '/metrics', '/nope']) {
      const answer = await rawRequest(`${url}${path}`)
      expect(answer.status, path).toBe(500)
      expect(JSON.parse(answer.body), path).toEqual({
        error: {
          code: 'ERR_INTERNAL',
          message: 'internal error (details are in the sidecar log)',
        },
      })
    }
    const failures = lines.filter((line) => line['msg'] === 'cannot load the operations routes')
    expect(failures).toHaveLength(3)
    for (const failure of failures) {
      expect(failure['level']).toBe('error')
      expect(String(failure['reason'])).toContain('Cannot find package express')
    }
    expect((await rawRequest(`${url}/config/greeting`)).body).toBe('"hello"')
    expect((await rawRequest(`${url}/livez`)).status).toBe(200)
  })
})
