import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ModelRegistry, ObjectModel } from '../model.js'
import { MAX_DDF_CHARS, parseDdf } from './ddf.js'
import { InvalidModelError } from './errors.js'

/**
 * Object-model registries: the core models shipped in fixtures/models plus any directories the
 * user gives (`--model-dir`, as Leshan's), later models overriding earlier ones with the same id.
 * The one place under src/lwm2m/ that reads files, since it is the loader.
 */

/**
 * A registry over `models`; a later model replaces an earlier one with the same object id as the
 * default, and every version stays reachable through getObjectVersion (see versions.ts).
 */
export function createModelRegistry(models: Iterable<ObjectModel>): ModelRegistry {
  const byId = new Map<number, ObjectModel>()
  const byVersion = new Map<string, ObjectModel>()
  for (const m of models) {
    byId.set(m.id, m)
    byVersion.set(`${m.id}@${m.version}`, m)
  }
  const sorted = Object.freeze([...byId.values()].sort((a, b) => a.id - b.id))
  return Object.freeze({
    getObject: (objectId: number) => byId.get(objectId),
    getResource: (objectId: number, resourceId: number) => byId.get(objectId)?.resources.get(resourceId),
    objects: () => sorted,
    getObjectVersion: (objectId: number, version: string) => byVersion.get(`${objectId}@${version}`),
  })
}

/** Parses every `*.xml` file of `dir` (in name order). Throws InvalidModelError. */
export async function loadModelDirectory(dir: string): Promise<ObjectModel[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter(isDdfName).sort()
  } catch (err) {
    throw new InvalidModelError(`cannot read the model directory: ${(err as Error).message}`, { source: dir, cause: err })
  }
  const models: ObjectModel[] = []
  for (const name of names) {
    const file = join(dir, name)
    const info = await stat(file)
    if (!info.isFile()) continue
    if (info.size > MAX_DDF_CHARS * 4) throw new InvalidModelError('file is too large', { source: file })
    models.push(...parseDdf(await readFile(file, 'utf8'), file))
  }
  return models
}

/** The directory of the core models shipped with lwchain (fixtures/models). */
export function coreModelDirectory(): string {
  return join(packageRoot(), 'fixtures', 'models')
}

let defaults: ModelRegistry | undefined

/** The core models (0 Security … 5 Firmware Update, 3303 Temperature), read once. */
export function loadDefaultModels(): ModelRegistry {
  if (!defaults) {
    const dir = coreModelDirectory()
    const names = readdirSync(dir).filter(isDdfName).sort()
    defaults = createModelRegistry(names.flatMap((n) => parseDdf(readFileSync(join(dir, n), 'utf8'), join(dir, n))))
  }
  return defaults
}

/** Async form of loadDefaultModels. */
export async function loadDefaultModelsAsync(): Promise<ModelRegistry> {
  return defaults ?? (defaults = createModelRegistry(await loadModelDirectory(coreModelDirectory())))
}

export interface LoadModelsOptions {
  /** Extra DDF directories (`--model-dir`); their models override the core ones by id. */
  readonly modelDirs?: readonly string[]
}

/** The core models plus those of `modelDirs`, later directories winning. */
export async function loadModels(options: LoadModelsOptions = {}): Promise<ModelRegistry> {
  const core = await loadDefaultModelsAsync()
  const extra: ObjectModel[] = []
  for (const dir of options.modelDirs ?? []) extra.push(...(await loadModelDirectory(dir)))
  return extra.length === 0 ? core : createModelRegistry([...core.objects(), ...extra])
}

function isDdfName(name: string): boolean {
  return name.toLowerCase().endsWith('.xml')
}

/**
 * The lwchain package root: the nearest directory above this module holding lwchain's
 * package.json. Works from src/ (tests, tsx) and from the dist/ bundle alike.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && isLwchainManifest(manifest)) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new InvalidModelError('cannot find the lwchain package root for the core models')
    dir = parent
  }
}

function isLwchainManifest(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === 'lwchain'
  } catch {
    return false
  }
}
