import { writeFile } from 'node:fs/promises'
import { generateKeySet } from '../document/crypto/index.js'
import type { KeyKind } from '../document/crypto/index.js'
import { writeFileAtomic } from '../support/atomic-file.js'

/**
 * `config-sidecar keygen [--type rsa|ec] [--kid <kid>] [--out <prefix>]`: writes
 * `<prefix>.private.jwks.json` (mode 0600, for CONFIG_KEYS) and `<prefix>.public.jwks.json` (for
 * `encrypt`, safe to share). Prints the two paths and the kid, never the key.
 */
export async function keygen(options: {
  type?: string | undefined
  kid?: string | undefined
  out?: string | undefined
}): Promise<number> {
  const type = (options.type ?? 'rsa') as KeyKind
  if (type !== 'rsa' && type !== 'ec') {
    process.stderr.write(
      'config-sidecar keygen: --type must be rsa (RSA-OAEP-256) or ec (ECDH-ES+A256KW on P-256)\n',
    )
    return 2
  }
  const keys = await generateKeySet(type, options.kid)
  const prefix = options.out ?? `config-keys-${keys.kid}`
  const privatePath = `${prefix}.private.jwks.json`
  const publicPath = `${prefix}.public.jwks.json`
  await writeFileAtomic(privatePath, `${JSON.stringify(keys.privateJwks, null, 2)}\n`)
  await writeFile(publicPath, `${JSON.stringify(keys.publicJwks, null, 2)}\n`, { mode: 0o644 })
  process.stdout.write(
    `${JSON.stringify({ kid: keys.kid, alg: keys.alg, private: privatePath, public: publicPath })}\n` +
      `private key set (mode 0600, give it to the sidecar as CONFIG_KEYS=file:${privatePath}): ${privatePath}\n` +
      `public key set (for config-sidecar encrypt --key): ${publicPath}\n`,
  )
  return 0
}
