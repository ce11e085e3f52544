import { readFile } from 'node:fs/promises'
import type { ValueRef } from '@sample/shared'
import { SidecarError } from '../support/errors.js'

/**
 * The value of a setting given inline or as `file:<path>`. Files are read on every call, so a
 * rotated credential (a Kubernetes Secret volume, a CF instance file) is picked up without a restart.
 */
export async function readValueRef(ref: ValueRef, setting: string): Promise<string> {
  if (ref.kind === 'inline') return ref.value
  try {
    return (await readFile(ref.path, 'utf8')).trim()
  } catch (error) {
    throw new SidecarError(
      'ERR_SOURCE_UNREADABLE',
      `${setting} names ${ref.path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
}
