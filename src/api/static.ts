import { createReadStream, existsSync, statSync } from 'node:fs'
import { dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * The web console's built assets (web/ → `npm run build:web` → dist/web/). The package build runs
 * tsup first and vite second, because tsup's `clean` empties dist/; `files: ["dist"]` ships them.
 */
export const CONSOLE_DIR_NAME = 'web'

/** Options of registerConsole. */
export interface ConsoleOptions {
  /** Directory holding index.html and assets/; default consoleAssetsDir(). */
  root?: string
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Where the built console lives: dist/web next to the running bundle (dist/cli.js), or, when run
 * from source (tsx, vitest), dist/web at the package root. Undefined when it was never built.
 */
export function consoleAssetsDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url))
  const candidates = [join(here, CONSOLE_DIR_NAME), resolve(here, '..', '..', 'dist', CONSOLE_DIR_NAME)]
  return candidates.find((d) => existsSync(join(d, 'index.html')))
}

/**
 * Serves the web console at `/`: files under `root`, and index.html for any other GET outside
 * /api (the console routes in the browser, so /admin/users must load it too). /api paths no
 * route matched go to fastify's not-found handler, so the API keeps its own JSON 404s.
 */
export async function registerConsole(app: FastifyInstance, o: ConsoleOptions = {}): Promise<void> {
  const root = o.root ? resolve(o.root) : consoleAssetsDir()
  const index = root && join(root, 'index.html')
  if (!root || !existsSync(index!)) {
    app.log.warn({ root }, 'web console not built (npm run build:web); / answers 503')
  }

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const url = request.url.split('?')[0]!
    if (url === '/api' || url.startsWith('/api/')) {
      // This wildcard route shadows fastify's 404 for /api, so answer in the API's error shape.
      return reply.code(404).type('application/json').send({ error: 'not_found', message: `no route ${request.method} ${url}` })
    }
    if (!root || !existsSync(index!)) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The lwchain web console is not built: run `npm run build:web`.\n')
    }
    const file = safeJoin(root, url)
    if (file === undefined) return reply.code(400).type('text/plain; charset=utf-8').send('bad path\n')
    if (file !== root && isFile(file)) return sendFile(reply, file)
    // A missing file with an extension (a stale /assets/x.js) is a real 404, not the app.
    if (extname(url) !== '') return reply.code(404).type('text/plain; charset=utf-8').send('not found\n')
    return sendFile(reply, index!)
  }
  app.get('/', handler)
  app.get('/*', handler)
}

/** `root` + the URL path, or undefined when it would leave root (`..`, NUL, bad escapes). */
function safeJoin(root: string, urlPath: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return undefined
  }
  if (decoded.includes('\0')) return undefined
  const full = resolve(root, '.' + (decoded.startsWith('/') ? decoded : '/' + decoded))
  return full === root || full.startsWith(root + sep) ? full : undefined
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function sendFile(reply: FastifyReply, file: string): FastifyReply {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
  // Vite names assets by content hash: cache them for good; index.html must always be fresh.
  const hashed = file.includes(`${sep}assets${sep}`)
  if (type.startsWith('text/html')) {
    // Everything is same-origin (no CDN): a strict policy costs nothing and blunts injected markup.
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
  }
  return reply
    .type(type)
    .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .send(createReadStream(file))
}
