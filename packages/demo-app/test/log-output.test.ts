// The app's log output: lines gathered into one write per turn of the event loop, in order, and a
// bound on what waits for a log reader that does not keep up (dropped lines are counted and said).
import { setImmediate as nextTurn } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createLogOutput } from '../src/log-output.js'

function sink(): { writes: string[]; writableLength: number; write(text: string): void } {
  return {
    writes: [],
    writableLength: 0,
    write(text) {
      this.writes.push(text)
    },
  }
}

describe('the log output', () => {
  it('writes the lines of one turn of the event loop at once, in order', async () => {
    const out = sink()
    const output = createLogOutput(out)
    output.write('{"msg":"one"}\n')
    output.write('{"msg":"two"}\n')
    expect(out.writes).toEqual([])
    await nextTurn()
    output.write('{"msg":"three"}\n')
    await nextTurn()
    expect(out.writes).toEqual(['{"msg":"one"}\n{"msg":"two"}\n', '{"msg":"three"}\n'])
  })

  it('writes what is queued when flushed (at exit)', () => {
    const out = sink()
    const output = createLogOutput(out)
    output.write('{"msg":"last"}\n')
    output.flush()
    expect(out.writes).toEqual(['{"msg":"last"}\n'])
  })

  it('drops lines while too much waits for the reader, then says how many', async () => {
    const out = sink()
    const output = createLogOutput(out, {
      maxPendingBytes: 100,
      now: () => new Date('2026-01-02T03:04:05.000Z'),
    })
    out.writableLength = 101
    output.write('{"msg":"a"}\n')
    output.write('{"msg":"b"}\n')
    await nextTurn()
    expect(out.writes).toEqual([])
    out.writableLength = 0
    output.write('{"msg":"c"}\n')
    await nextTurn()
    expect(out.writes).toHaveLength(1)
    const [warning, line] = out.writes[0]!.trimEnd().split('\n')
    expect(JSON.parse(warning!)).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'warn',
      msg: 'dropped log lines: the log reader did not keep up',
      dropped: 2,
      limitBytes: 100,
    })
    expect(line).toBe('{"msg":"c"}')
  })
})
