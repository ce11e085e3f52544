// Config as files: CONFIG_WRITE_FILE (where every accepted config is also written, the format from
// each path's extension) and CONFIG_ON_CHANGE (the command run after the files of a change).
import { statSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { EnvReader } from '@sample/shared'
import { formatOfPath } from './formats.js'
import type { LoadContext, WriteFile } from './types.js'

const EXTENSIONS = '.json, .flat.json, .properties, .env, .yaml or .yml'

/** The files of CONFIG_WRITE_FILE, each checked: a known extension, an existing directory, not a directory itself. */
export function readWriteFiles(read: EnvReader, context: LoadContext): readonly WriteFile[] {
  const raw = read.string('CONFIG_WRITE_FILE')
  if (raw === undefined) return []
  const files: WriteFile[] = []
  const seen = new Set<string>()
  for (const entry of raw.split(',').map((part) => part.trim())) {
    if (entry === '') {
      read.problem(
        'CONFIG_WRITE_FILE must be one or more paths separated by commas (got an empty one)',
      )
      continue
    }
    const path = isAbsolute(entry) ? entry : resolve(context.cwd, entry)
    const format = formatOfPath(path)
    if (format === undefined) {
      read.problem(`CONFIG_WRITE_FILE ${entry} must end in ${EXTENSIONS}`)
      continue
    }
    const directory = statOrUndefined(dirname(path))
    if (directory === undefined || !directory.isDirectory()) {
      read.problem(`CONFIG_WRITE_FILE ${entry}: the directory ${dirname(path)} does not exist`)
      continue
    }
    if (statOrUndefined(path)?.isDirectory() === true) {
      read.problem(`CONFIG_WRITE_FILE ${entry} is a directory: name a file in it`)
      continue
    }
    if (seen.has(path)) {
      read.problem(`CONFIG_WRITE_FILE names ${entry} twice`)
      continue
    }
    seen.add(path)
    files.push({ path, format })
  }
  return files
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}
