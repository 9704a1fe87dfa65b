/**
 * Reads user object-model directories (`--model-dir`, as Leshan's) and hands their texts to the
 * registry in src/lwm2m/models/, which does no I/O itself.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelRegistry, ObjectModel } from '../../lwm2m/model.js'
import { MAX_DDF_CHARS } from '../../lwm2m/models/ddf.js'
import { InvalidModelError } from '../../lwm2m/models/errors.js'
import { loadDefaultModels, parseModelTexts, withExtraModels } from '../../lwm2m/models/registry.js'

/** Parses every `*.xml` file of `dir` (in name order). Throws InvalidModelError. */
export async function loadModelDirectory(dir: string): Promise<ObjectModel[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => name.toLowerCase().endsWith('.xml')).sort()
  } catch (err) {
    throw new InvalidModelError(`cannot read the model directory: ${(err as Error).message}`, { source: dir, cause: err })
  }
  const models: ObjectModel[] = []
  for (const name of names) {
    const file = join(dir, name)
    const info = await stat(file)
    if (!info.isFile()) continue
    // Refuse before reading: a UTF-8 character is at most 4 bytes.
    if (info.size > MAX_DDF_CHARS * 4) throw new InvalidModelError('file is too large', { source: file })
    models.push(...parseModelTexts([{ text: await readFile(file, 'utf8'), source: file }]))
  }
  return models
}

export interface LoadModelsOptions {
  /** Extra DDF directories (`--model-dir`); their models override the core ones by id. */
  readonly modelDirs?: readonly string[]
}

/** The core models plus those of `modelDirs`, later directories winning. */
export async function loadModels(options: LoadModelsOptions = {}): Promise<ModelRegistry> {
  const extra: ObjectModel[] = []
  for (const dir of options.modelDirs ?? []) extra.push(...(await loadModelDirectory(dir)))
  return withExtraModels(loadDefaultModels(), extra)
}
