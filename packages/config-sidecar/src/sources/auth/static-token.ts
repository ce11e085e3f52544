import type { ValueRef } from '@sample/shared'
import { readValueRef } from '../../settings/value-ref.js'
import type { TokenProvider } from './token-provider.js'

/** CONFIG_BEARER_TOKEN: a fixed token, or a file read at each use (so a rotated file is picked up). */
export function createStaticTokenProvider(ref: ValueRef): TokenProvider {
  return {
    token: () => readValueRef(ref, 'CONFIG_BEARER_TOKEN'),
    invalidate: () => undefined,
  }
}
