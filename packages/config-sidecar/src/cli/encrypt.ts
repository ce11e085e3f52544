import { readFile } from 'node:fs/promises'
import { encryptSecret } from '../document/crypto/index.js'
import { isSidecarError } from '../support/errors.js'

/**
 * `config-sidecar encrypt --key <jwks.json> [--kid <kid>] [value]`: prints `{jwe}<compact JWE>`
 * for the value given as an argument or on stdin (a trailing newline from stdin is dropped).
 */
export async function encrypt(options: {
  key?: string | undefined
  kid?: string | undefined
  alg?: string | undefined
  enc?: string | undefined
  value?: string | undefined
  stdin: NodeJS.ReadableStream
}): Promise<number> {
  if (options.key === undefined) {
    process.stderr.write(
      'config-sidecar encrypt: --key <public.jwks.json> is required (made by config-sidecar keygen)\n',
    )
    return 2
  }
  const keySet = await readFile(options.key, 'utf8').catch(() => undefined)
  if (keySet === undefined) {
    process.stderr.write(`config-sidecar encrypt: cannot read ${options.key}\n`)
    return 2
  }
  const value = options.value ?? (await readAll(options.stdin)).replace(/\r?\n$/, '')
  try {
    process.stdout.write(
      `${await encryptSecret(keySet, value, { kid: options.kid, alg: options.alg, enc: options.enc })}\n`,
    )
    return 0
  } catch (error) {
    process.stderr.write(
      `config-sidecar encrypt: ${isSidecarError(error) ? error.message : 'encryption failed'}\n`,
    )
    return 1
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}
