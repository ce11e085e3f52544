// ERR_INTERNAL: a failure the code did not foresee answers 500 with a fixed message; the details
// (which may name anything) go to the log only.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { startInProcessSidecar } from '../../../../test-support/in-process-sidecar.js'
import type { InProcessSidecar } from '../../../../test-support/in-process-sidecar.js'

let sidecar: InProcessSidecar | undefined
let dir: { path: string; remove: () => Promise<void> } | undefined
afterEach(async () => {
  await sidecar?.stop()
  await dir?.remove()
})

it('answers an unforeseen failure with 500 ERR_INTERNAL and keeps the details in the log', async () => {
  dir = await tempDir()
  const file = join(dir.path, 'config.json')
  await writeFile(file, '{"a":1}')
  sidecar = await startInProcessSidecar({ CONFIG_SOURCE: `file:${file}` })
  await sidecar.firstRefresh
  // The refresher is our own interface: make it fail the way a bug would.
  sidecar.sidecar.refresher.refresh = () =>
    Promise.reject(new Error('unforeseen detail: /etc/internal-path'))
  const response = await sidecar.get('/refresh', { method: 'POST' })
  expect(response.status).toBe(500)
  const body = await response.text()
  expect(JSON.parse(body)).toEqual({
    error: { code: 'ERR_INTERNAL', message: 'internal error (details are in the sidecar log)' },
  })
  expect(body).not.toContain('unforeseen')
  const logged = sidecar.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
  expect(logged.find((line) => line['msg'] === 'request failed')).toMatchObject({
    level: 'error',
    code: 'ERR_INTERNAL',
    reason: 'unforeseen detail: /etc/internal-path',
  })
  // The sidecar still answers.
  expect((await sidecar.get('/config/')).status).toBe(200)
})
