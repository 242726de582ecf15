/**
 * Builds the app into app/dist with esbuild (fast, offline):
 *   renderer/   the page (index.html with the hashed import map, app.js as a browser ES module,
 *               vendor/simple-peer.js, styles.css, icon.svg)
 *   preload/    preload.cjs (CommonJS: sandboxed preloads cannot be ES modules)
 *   main/       main.cjs, the Electron main process, self-contained so the package needs no node_modules
 *   launch.js   `npm start` / `npm run web` (Node, ES module)
 *   package.json  the manifest electron-builder packages (no dependencies: everything is bundled)
 */
import { build, type BuildOptions } from 'esbuild'
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { indexHtml } from './src/main/page.js'

const appDir = dirname(fileURLToPath(import.meta.url))
const src = join(appDir, 'src')
const dist = join(appDir, 'dist')
const started = Date.now()

const common: BuildOptions = {
  bundle: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: appDir,
  legalComments: 'none',
}

await rm(dist, { recursive: true, force: true })
await mkdir(join(dist, 'renderer', 'vendor'), { recursive: true })

await Promise.all([
  build({
    ...common,
    entryPoints: [join(src, 'renderer', 'main.ts')],
    outfile: join(dist, 'renderer', 'app.js'),
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
  }),
  // simple-peer's own browser bundle (with its stream and buffer shims), as an ES module for the import map.
  build({
    ...common,
    sourcemap: false,
    entryPoints: ['simple-peer/simplepeer.min.js'],
    outfile: join(dist, 'renderer', 'vendor', 'simple-peer.js'),
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
  }),
  build({
    ...common,
    entryPoints: [join(src, 'preload', 'preload.ts')],
    outfile: join(dist, 'preload', 'preload.cjs'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
  }),
  build({
    ...common,
    entryPoints: [join(src, 'main', 'electron-main.ts')],
    outfile: join(dist, 'main', 'main.cjs'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // ws loads these native speed-ups when present and works without them.
    external: ['electron', 'bufferutil', 'utf-8-validate'],
  }),
  build({
    ...common,
    entryPoints: [join(src, 'main', 'launch.ts')],
    outfile: join(dist, 'launch.js'),
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
  }),
])

await writeFile(join(dist, 'renderer', 'index.html'), indexHtml())
await copyFile(join(src, 'renderer', 'styles.css'), join(dist, 'renderer', 'styles.css'))
await copyFile(join(src, 'renderer', 'icon.svg'), join(dist, 'renderer', 'icon.svg'))

const pkg = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8')) as { version: string; description: string }
const manifest = {
  name: 'diffstream',
  productName: 'DiffStream',
  version: pkg.version,
  description: pkg.description,
  author: { name: 'DiffStream contributors', email: 'diffstream@users.noreply.github.com' },
  license: 'MIT',
  main: 'main/main.cjs',
  type: 'module',
}
await writeFile(join(dist, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`@diffstream/app built in ${Date.now() - started} ms`)
