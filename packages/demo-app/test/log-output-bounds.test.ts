// The log output's edges: a flush with nothing queued writes nothing, the bound is "more than"
// (a reader exactly at it still gets lines), the default bound is 1 MiB, the drop warning is said
// once, and its time is the clock's by default.
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createLogOutput, MAX_PENDING_LOG_BYTES } from '../src/log-output.js'

function sink(writableLength = 0): {
  writes: string[]
  writableLength: number
  write(text: string): void
} {
  return {
    writes: [],
    writableLength,
    write(text) {
      this.writes.push(text)
    },
  }
}

describe('the log output, at its edges', () => {
  it('writes nothing when flushed with nothing queued, nor after the turn it already wrote', async () => {
    const out = sink()
    const output = createLogOutput(out)
    output.flush()
    expect(out.writes).toEqual([])
    output.write('{"msg":"one"}\n')
    output.flush()
    await nextTurn()
    expect(out.writes).toEqual(['{"msg":"one"}\n'])
  })

  it('still writes while exactly the bound waits, and drops past it', async () => {
    const out = sink(100)
    const output = createLogOutput(out, { maxPendingBytes: 100 })
    output.write('{"msg":"at the bound"}\n')
    await nextTurn()
    expect(out.writes).toEqual(['{"msg":"at the bound"}\n'])
  })

  it('bounds at 1 MiB by default', async () => {
    expect(MAX_PENDING_LOG_BYTES).toBe(1024 * 1024)
    const out = sink(MAX_PENDING_LOG_BYTES)
    const output = createLogOutput(out)
    output.write('{"msg":"kept"}\n')
    await nextTurn()
    expect(out.writes).toEqual(['{"msg":"kept"}\n'])
    out.writableLength = MAX_PENDING_LOG_BYTES + 1
    output.write('{"msg":"dropped"}\n')
    await nextTurn()
    expect(out.writes).toEqual(['{"msg":"kept"}\n'])
  })

  it('says the drop once, with the time of the clock, and counts again from zero after', async () => {
    const out = sink(101)
    const output = createLogOutput(out, { maxPendingBytes: 100 })
    output.write('{"msg":"a"}\n')
    await nextTurn()
    out.writableLength = 0
    const before = Date.now()
    output.write('{"msg":"b"}\n')
    await nextTurn()
    const after = Date.now()
    output.write('{"msg":"c"}\n')
    await nextTurn()
    expect(out.writes).toHaveLength(2)
    const [warning, line] = out.writes[0]!.trimEnd().split('\n')
    const said = JSON.parse(warning!) as { time: string; dropped: number; limitBytes: number }
    expect(said).toMatchObject({ level: 'warn', dropped: 1, limitBytes: 100 })
    const time = Date.parse(said.time)
    expect(time).toBeGreaterThanOrEqual(before)
    expect(time).toBeLessThanOrEqual(after)
    expect(line).toBe('{"msg":"b"}')
    expect(out.writes[1]).toBe('{"msg":"c"}\n')
  })
})
