// The SidecarError a promise rejects with, for tests that assert codes rather than messages.
import { SidecarError } from '../packages/config-sidecar/src/support/errors.js'

/** The SidecarError code of a rejected promise, or a description of what happened instead. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'resolved'
  } catch (error) {
    return error instanceof SidecarError ? error.code : `not a SidecarError: ${String(error)}`
  }
}

/** The SidecarError a promise rejects with (fails the test when it resolves). */
export async function errorOf(promise: Promise<unknown>): Promise<SidecarError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof SidecarError) return error
    throw new Error(`expected a SidecarError, got ${String(error)}`)
  }
  throw new Error('expected a rejection, but the promise resolved')
}
