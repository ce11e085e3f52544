// YAML is parsed through the `yaml` library's document tree, which takes far more memory than the
// data, so YAML text is bounded by the heap the process has (heap limit / 128, at most the size
// limit) and refused before it is parsed. test/reliability/large-document.test.ts runs the same rule
// in the built sidecar under the manifest's heap cap.
import { describe, expect, it } from 'vitest'
import { YAML_HEAP_FACTOR, parseDocument, yamlByteLimit } from '../../src/document/parse.js'
import { DOCUMENT_LIMITS } from '../../src/support/limits.js'
import { errorOf } from '../../../../test-support/sidecar-errors.js'

describe('the YAML size bound', () => {
  it('is the heap limit / 128, never above the size limit', () => {
    expect(YAML_HEAP_FACTOR).toBe(128)
    // `--max-old-space-size=64 --max-semi-space-size=1` gives this heap limit on Node 20 and 24.
    expect(yamlByteLimit(70_254_592)).toBe(548_864)
    expect(yamlByteLimit(4_345_298_944)).toBe(DOCUMENT_LIMITS.maxBytes)
  })

  it('refuses YAML over the bound before parsing it, and names the way out', async () => {
    const limit = yamlByteLimit()
    const line = 'key: value\n'
    const text = line.repeat(Math.floor(limit / line.length) + 1)
    expect(Buffer.byteLength(text)).toBeGreaterThan(limit)
    const error = await errorOf(parseDocument(text, 'yaml', 'file big.yaml'))
    expect(error.code).toBe('ERR_DOCUMENT_TOO_LARGE')
    expect(error.message).toBe(
      `file big.yaml is ${Buffer.byteLength(text)} bytes of YAML, over the ${limit} this process can parse (its heap limit / 128); serve it as JSON or raise --max-old-space-size`,
    )
  })
})
