import type { ModelRegistry, ObjectModel } from '../model.js'
import { parseDdf } from './ddf.js'
import { coreModelTexts } from './generated/coreModels.js'

/**
 * Object-model registries: the core models shipped in fixtures/models plus any the caller parsed
 * (`--model-dir`, as Leshan's), later models overriding earlier ones with the same id. No I/O: the
 * core models arrive as texts in a module generated at build time (scripts/generate-models.mjs),
 * and directories given by the user are read by the command layer (commands/lib/modelDirectory.ts).
 */

/** One DDF document and where it came from (named in parse errors). */
export interface DdfText {
  readonly text: string
  readonly source: string
}

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

/** Parses DDF texts in order. Throws InvalidModelError naming the source. */
export function parseModelTexts(texts: Iterable<DdfText>): ObjectModel[] {
  const models: ObjectModel[] = []
  for (const { text, source } of texts) models.push(...parseDdf(text, source))
  return models
}

let defaults: ModelRegistry | undefined

/** The core models (0 Security … 5 Firmware Update, 3303 Temperature), parsed once. */
export function loadDefaultModels(): ModelRegistry {
  return defaults ?? (defaults = createModelRegistry(parseModelTexts(coreModelTexts)))
}

/** Async form of loadDefaultModels (kept for callers that await it). */
export async function loadDefaultModelsAsync(): Promise<ModelRegistry> {
  return loadDefaultModels()
}

/** The core models plus `extra` ones (parsed from user directories), later ones winning by id. */
export function withExtraModels(core: ModelRegistry, extra: readonly ObjectModel[]): ModelRegistry {
  return extra.length === 0 ? core : createModelRegistry([...core.objects(), ...extra])
}
