// CONFIG_CHANGED_KEYS and CONFIG_CHANGED_KEYS_MORE in the on-change command's environment: the paths
// changed since the config the previous run covered, one a line, at most 100, never a value; read
// back by the real /bin/sh through the runner.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { recordingLogger } from '../../../../test-support/logs.js'
import { servedConfig } from '../../../../test-support/served-config.js'
import { waitFor } from '../../../../test-support/wait.js'
import { createOnChangeRunner } from '../../src/files/on-change.js'
import type { OnChangeRunner } from '../../src/files/on-change.js'
import { changeVariables } from '../../src/files/on-change-env.js'

let dir: { path: string; remove: () => Promise<void> }
let runner: OnChangeRunner | undefined

beforeEach(async () => {
  dir = await tempDir('config-sidecar-on-change-keys-')
})
afterEach(async () => {
  await runner?.stop()
  runner = undefined
  await dir.remove()
})

describe('changeVariables', () => {
  it('sets only CONFIG_VERSION on the first run: there is nothing to compare with', () => {
    expect(changeVariables({ from: undefined, to: servedConfig({ a: 1 }, 'v1') })).toEqual({
      CONFIG_VERSION: 'v1',
    })
  })

  it('lists every path added, removed or changed since the previous run, sorted, one a line', () => {
    const from = servedConfig(
      { keep: 'same', gone: 'old-value', list: [1, 2], edit: 'before' },
      'v1',
    )
    const to = servedConfig(
      { keep: 'same', list: [1], edit: 'after', fresh: { x: 'new-value' } },
      'v2',
    )
    const variables = changeVariables({ from, to })
    expect(variables).toEqual({
      CONFIG_VERSION: 'v2',
      CONFIG_CHANGED_KEYS: 'edit\nfresh.x\ngone\nlist[1]',
      CONFIG_CHANGED_KEYS_MORE: '0',
    })
    for (const value of ['old-value', 'before', 'after', 'new-value'])
      expect(JSON.stringify(variables)).not.toContain(value)
  })

  it('lists at most 100 paths and says how many more', () => {
    const keys = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, n) => [`k${String(n).padStart(3, '0')}`, n]),
      )
    const variables = changeVariables({
      from: servedConfig({ same: true }, 'v1'),
      to: servedConfig({ ...keys(250), same: true }, 'v2'),
    })
    expect(variables['CONFIG_CHANGED_KEYS']!.split('\n')).toEqual(Object.keys(keys(100)))
    expect(variables['CONFIG_CHANGED_KEYS_MORE']).toBe('150')
  })
})

describe('the command', () => {
  it('reads the paths since the config its previous run covered', async () => {
    const log = recordingLogger()
    runner = createOnChangeRunner({
      command: `cd '${dir.path}' || exit 9\nprintf '%s|%s|%s\\n' "$CONFIG_VERSION" "\${CONFIG_CHANGED_KEYS-unset}" "\${CONFIG_CHANGED_KEYS_MORE-unset}" >> env.txt`,
      logger: log.logger,
      baseEnv: { PATH: process.env['PATH'] },
    })
    runner.request(servedConfig({ a: 1, b: 2 }, 'v1'))
    await runner.idle()
    runner.request(servedConfig({ a: 5, b: 2, c: 3 }, 'v2'))
    await runner.idle()
    const lines = await waitFor(async () => {
      const text = await readFile(join(dir.path, 'env.txt'), 'utf8').catch(() => '')
      return text.includes('v2|') ? text : undefined
    })
    expect(lines).toBe('v1|unset|unset\nv2|a\nc|0\n')
  })
})
