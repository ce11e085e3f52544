// `encrypt` and an empty value: refused (one line, exit 2, nothing on stdout) whether it is an empty
// argument or stdin with nothing but a newline, unless --allow-empty, which makes a secret that
// decrypts to ''. Reading stdin from a terminal, it first says so and how to end the value; piped,
// it says nothing. The value itself is never written back.
import { Readable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compactDecrypt } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../../../../test-support/files.js'
import { encrypt } from '../../src/cli/encrypt.js'
import { createDecryptor, generateKeySet } from '../../src/document/crypto/index.js'
import { randomSecret } from '../../../../test-support/jose.js'
import { cli, requireBuild } from './support.js'

let dir: { path: string; remove: () => Promise<void> }
let publicPath: string
let privateJwks: string

beforeAll(async () => {
  requireBuild()
  dir = await tempDir()
  const keys = await generateKeySet('ec', 'empty-test')
  publicPath = join(dir.path, 'keys.public.jwks.json')
  privateJwks = JSON.stringify(keys.privateJwks)
  await writeFile(publicPath, JSON.stringify(keys.publicJwks))
})
afterAll(async () => {
  await dir.remove()
})

const decrypt = async (secret: string): Promise<string> => {
  expect(secret).toMatch(/^\{jwe\}[\w-]+\.[\w-]*\.[\w-]+\.[\w-]*\.[\w-]+$/)
  const decryptor = await createDecryptor(privateJwks, 'K')
  return (await decryptor.decrypt(secret.slice('{jwe}'.length))).toString('utf8')
}

describe('config-sidecar encrypt with an empty value', () => {
  it.each([
    { what: 'an empty argument', args: [''], input: undefined },
    { what: 'empty stdin', args: [], input: '' },
    { what: 'stdin holding one newline', args: [], input: '\n' },
    { what: 'stdin holding one CRLF', args: [], input: '\r\n' },
  ])('refuses $what: one line naming --allow-empty, exit 2, no output', async ({ args, input }) => {
    const result = await cli(['encrypt', '--key', publicPath, ...args], { input })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    const lines = result.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^config-sidecar encrypt: the value is empty/)
    expect(lines[0]).toContain('--allow-empty')
  })

  it('takes two newlines on stdin as one newline, not as empty', async () => {
    const result = await cli(['encrypt', '--key', publicPath], { input: '\n\n' })
    expect(result.code, result.stderr).toBe(0)
    expect(await decrypt(result.stdout.trim())).toBe('\n')
  })

  it.each([
    { what: 'an empty argument', args: [''], input: undefined },
    { what: 'empty stdin', args: [], input: '\n' },
  ])(
    'with --allow-empty encrypts $what to a secret that decrypts to ""',
    async ({ args, input }) => {
      const result = await cli(['encrypt', '--key', publicPath, '--allow-empty', ...args], {
        input,
      })
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toBe('')
      const secret = result.stdout.trim()
      expect(await decrypt(secret)).toBe('')
      // jose reads it as the empty string too.
      const { keys } = JSON.parse(privateJwks) as { keys: Record<string, string>[] }
      const { plaintext } = await compactDecrypt(secret.slice('{jwe}'.length), keys[0]!)
      expect(plaintext).toHaveLength(0)
    },
  )

  it('with --allow-empty still encrypts a value that is not empty', async () => {
    const value = randomSecret('allow')
    const result = await cli(['encrypt', '--key', publicPath, '--allow-empty', value])
    expect(result.code, result.stderr).toBe(0)
    expect(await decrypt(result.stdout.trim())).toBe(value)
  })
})

describe('config-sidecar encrypt reading stdin', () => {
  let stdout: string
  let stderr: string
  const capture = (): void => {
    stdout = ''
    stderr = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += chunk.toString()
      return true
    })
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += chunk.toString()
      return true
    })
  }
  afterEach(() => {
    vi.restoreAllMocks()
  })

  /** A stdin that says it is a terminal, holding what a user typed. */
  const terminal = (typed: string): Readable & { isTTY: boolean } =>
    Object.assign(Readable.from([Buffer.from(typed)]), { isTTY: true })

  it('on a terminal, first says on stderr that it reads stdin and that Ctrl-D ends it', async () => {
    const value = randomSecret('typed')
    capture()
    const code = await encrypt({
      key: publicPath,
      stdin: terminal(`${value}\n`),
      invocation: 'node x',
    })
    vi.restoreAllMocks()
    expect(code, stderr).toBe(0)
    const lines = stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('reading the value from stdin')
    expect(lines[0]).toContain('Ctrl-D')
    expect(stderr).not.toContain(value)
    expect(stdout).not.toContain(value)
    expect(await decrypt(stdout.trim())).toBe(value)
  })

  it('piped, says nothing on stderr', async () => {
    const value = randomSecret('piped')
    capture()
    const piped = Readable.from([Buffer.from(`${value}\n`)])
    const code = await encrypt({ key: publicPath, stdin: piped, invocation: 'node x' })
    vi.restoreAllMocks()
    expect(code, stderr).toBe(0)
    expect(stderr).toBe('')
    expect(await decrypt(stdout.trim())).toBe(value)
  })

  it('given the value as an argument, does not read a terminal stdin nor prompt', async () => {
    const value = randomSecret('argument')
    capture()
    const stdin = terminal('not this\n')
    const code = await encrypt({ key: publicPath, value, stdin, invocation: 'node x' })
    vi.restoreAllMocks()
    expect(code, stderr).toBe(0)
    expect(stderr).toBe('')
    expect(await decrypt(stdout.trim())).toBe(value)
  })

  it('on a terminal, an empty value is still refused after the prompt, without encrypting', async () => {
    capture()
    const code = await encrypt({ key: publicPath, stdin: terminal(''), invocation: 'node x' })
    vi.restoreAllMocks()
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringContaining('reading the value from stdin'),
      expect.stringContaining('--allow-empty'),
    ])
  })
})
