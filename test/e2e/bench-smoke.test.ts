// A short run of `pnpm bench` so the benchmarks never rot. No timing is asserted: only that every
// section runs and prints its table.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { run } from '../../test-support/processes.js'

const root = join(import.meta.dirname, '..', '..')

describe('pnpm bench --smoke', () => {
  it('runs every benchmark section', async () => {
    const bench = run(process.execPath, [join(root, 'bench', 'run.mjs'), '--smoke'], { cwd: root })
    const code = await bench.exited
    const output = bench.output()
    expect(code, output).toBe(0)
    for (const heading of ['## 1.', '## 2.', '## 3.', '## 4.', '## 6.', '## 7.'])
      expect(output).toContain(heading)
    expect(output).toMatch(/\| 200, 50 connections \| \d+ \| \d+ \|/)
  }, 120_000)
})
