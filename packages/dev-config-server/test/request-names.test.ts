// How `GET /{application}/{profile}[/{label}]` is read: comma-separated lists trimmed, emptied
// entries and repeats dropped (the first kept), `(_)` in a label for `/`, the 128-character limit,
// and which part a refusal names.
import { describe, expect, it } from 'vitest'
import { DevConfigError } from '../src/errors.js'
import { parseEnvironmentRequest } from '../src/names.js'

const refusalOf = (run: () => unknown): DevConfigError => {
  try {
    run()
  } catch (error) {
    if (error instanceof DevConfigError) return error
    throw error
  }
  throw new Error('expected a DevConfigError')
}

describe('parseEnvironmentRequest', () => {
  it('trims each name and drops empty entries and repeats, keeping the order', () => {
    expect(parseEnvironmentRequest(' app , ,other,app', 'dev, ,prod ,dev', undefined)).toEqual({
      applications: ['app', 'other'],
      profiles: ['dev', 'prod'],
      label: null,
      labelPath: [],
    })
  })

  it('takes an empty label as none, and (_) as a slash', () => {
    expect(parseEnvironmentRequest('app', 'dev', '')).toMatchObject({ label: null, labelPath: [] })
    expect(parseEnvironmentRequest('app', 'dev', 'feature(_)x')).toMatchObject({
      label: 'feature/x',
      labelPath: ['feature', 'x'],
    })
  })

  it('takes a name of 128 characters, not 129', () => {
    const name = 'a'.repeat(128)
    expect(parseEnvironmentRequest(name, 'dev', undefined).applications).toEqual([name])
    expect(refusalOf(() => parseEnvironmentRequest(`${name}a`, 'dev', undefined)).status).toBe(400)
  })

  it('names the part it refuses, as a 400 invalid_request', () => {
    for (const [args, what] of [
      [[' , ', 'dev', undefined], 'an application'],
      [['app', ',', undefined], 'a profile'],
      [['app', 'dev', 'a(_)..'], 'a label'],
      [['a..b', 'dev', undefined], 'an application'],
    ] as const) {
      const error = refusalOf(() => parseEnvironmentRequest(args[0], args[1], args[2]))
      expect(error).toMatchObject({ status: 400, code: 'invalid_request', name: 'DevConfigError' })
      expect(error.message.startsWith(`${what} name holds letters`)).toBe(true)
    }
  })
})
