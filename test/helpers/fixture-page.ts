// Serves a browser test's fixture page: the fixture script bundled for the browser with esbuild, and
// an HTML page that loads it as a module, on a local port.
import { createServer } from 'node:http'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export interface FixturePage {
  /** The page's address, `http://127.0.0.1:<port>/`. */
  url: string
  /** The bundled script the page loads. */
  js: string
  close(): void
}

/** Bundles `entry` (a .ts file) and serves it as `/<name>.js` under a page titled `title`. */
export async function serveFixturePage(entry: URL, title: string): Promise<FixturePage> {
  const bundle = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
  })
  const js = bundle.outputFiles[0]!.text
  const scriptPath = `/${basename(fileURLToPath(entry)).replace(/\.ts$/, '.js')}`
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title><script type="module" src="${scriptPath}"></script>`
  const server = createServer((req, res) => {
    if (req.url === scriptPath) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`
  return { url, js, close: () => server.close() }
}
