import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/** One import of a source file of src/ (path relative to src/). */
export interface SourceImport {
  readonly from: string
  /** The imported file relative to src/, or the package specifier (`node:fs`, `viem`) when `external`. */
  readonly to: string
  readonly external: boolean
}

/**
 * Every import (static, `export … from`, `import type`, dynamic) of the production files
 * under `srcDir`. Test files are left out: a test may reach across layers to build a peer, and the
 * layer rule is about what ships. Generated contract artifacts are leaves and are scanned too.
 */
export function readSourceImports(srcDir: string): SourceImport[] {
  const imports: SourceImport[] = []
  for (const file of listSourceFiles(srcDir)) {
    const text = readFileSync(file, 'utf8')
    // preProcessFile sees every import form (including `import type` and `import()`) without a
    // full program, so the check stays fast and does not depend on the build.
    const { importedFiles } = ts.preProcessFile(text, true, true)
    for (const { fileName } of importedFiles) {
      const from = path.relative(srcDir, file)
      if (!fileName.startsWith('.')) {
        imports.push({ from, to: fileName, external: true })
        continue
      }
      const target = resolveSpecifier(path.dirname(file), fileName)
      imports.push({ from, to: path.relative(srcDir, target), external: false })
    }
  }
  return imports
}

/** The layer a file belongs to: its top folder under src/ (`lwm2m`), or its own name at the root (`logger.ts`). */
export function layerOf(relativePath: string): string {
  return relativePath.split(/[\\/]/)[0]
}

function listSourceFiles(dir: string): string[] {
  const files: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) files.push(...listSourceFiles(full))
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(full)
  }
  return files
}

// NodeNext sources import `./x.js` for `./x.ts`; map back so paths name real files.
function resolveSpecifier(fromDir: string, specifier: string): string {
  return path.resolve(fromDir, specifier).replace(/\.js$/, '.ts').replace(/\.jsx$/, '.tsx')
}
