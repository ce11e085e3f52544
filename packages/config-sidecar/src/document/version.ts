// Which upstream version may be served as `X-Config-Version`: printable ASCII of at most 200
// characters. Anything else (CR/LF, control characters, characters above U+007E) would reach
// `writeHead`, which throws, so it is refused here and the hash of the fetched bytes stands in.

/** The longest version served. */
export const MAX_VERSION_LENGTH = 200

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/

/** Why `version` cannot be served as a header, or undefined when it can. */
export function versionProblem(version: string): string | undefined {
  if (version.length > MAX_VERSION_LENGTH)
    return `is ${version.length} characters long (at most ${MAX_VERSION_LENGTH})`
  if (!PRINTABLE_ASCII.test(version)) {
    // eslint-disable-next-line no-control-regex
    return /[\x00-\x1f\x7f]/.test(version)
      ? 'holds a control character (CR, LF or another)'
      : 'holds a character outside printable ASCII'
  }
  return undefined
}

/**
 * The first usable version among `candidates` (the upstream's `X-Config-Version` header, then the
 * Spring environment's `version`), else `fallback` (the hash of the fetched bytes). Each refused
 * candidate adds a notice that says why, never quoting it: a version is not secret, but it may be
 * megabytes of anything.
 */
export function chooseVersion(
  candidates: readonly { readonly from: string; readonly version: string | undefined }[],
  fallback: () => string,
  notices: string[],
): string {
  for (const { from, version } of candidates) {
    if (version === undefined || version === '') continue
    const problem = versionProblem(version)
    if (problem === undefined) return version
    notices.push(
      `the version in ${from} ${problem}: it is not used as X-Config-Version; a hash of the bytes as fetched stands in`,
    )
  }
  return fallback()
}
