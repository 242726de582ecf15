// What `npm publish` would ship for each package, read from `npm pack --dry-run`: the built code and
// its types for every entry point, README and LICENSE; no tests; source maps that point only at
// files inside the package.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

interface PackageJson {
  name: string
  license?: string
  engines?: { node?: string }
  main?: string
  types?: string
  bin?: Record<string, string>
  exports?: Record<string, { types: string; import: string }>
}

function packedFiles(dir: string): string[] {
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  const [pack] = JSON.parse(run.stdout) as Array<{ files: Array<{ path: string }> }>
  return pack!.files.map((f) => f.path)
}

for (const name of ['core', 'signaling']) {
  test(`npm pack ${name}: code and types of every entry point, README, LICENSE; no tests; maps stay inside`, () => {
    const dir = join(root, name)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson
    const files = packedFiles(dir)
    const has = new Set(files)

    for (const required of ['package.json', 'README.md', 'LICENSE'])
      assert.ok(has.has(required), `${pkg.name} ships ${required}`)
    assert.equal(pkg.license, 'MIT')
    assert.match(readFileSync(join(dir, 'LICENSE'), 'utf8'), /^MIT License/)
    assert.ok(pkg.engines?.node, `${pkg.name} states the Node it needs`)

    const targets = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.bin ?? {}),
      ...Object.values(pkg.exports ?? {}).flatMap((e) => [e.types, e.import]),
    ].filter((t): t is string => typeof t === 'string')
    assert.ok(targets.length >= 3, `${pkg.name}: entry points in package.json`)
    for (const t of targets) assert.ok(has.has(normalize(t)), `${pkg.name} ships ${t}`)

    const tests = files.filter((f) => /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$/.test(f))
    assert.deepEqual(tests, [], `${pkg.name} ships no tests`)
    assert.deepEqual(
      files.filter((f) => f.endsWith('.tsbuildinfo')),
      [],
      `${pkg.name} ships no build info`,
    )

    const maps = files.filter((f) => f.endsWith('.map'))
    assert.ok(maps.length > 0, `${pkg.name} ships source maps`)
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[] }
      for (const source of sources) {
        const target = relative(dir, join(dir, dirname(map), source))
        assert.ok(!target.startsWith('..'), `${pkg.name}/${map} points outside the package: ${source}`)
        assert.ok(has.has(target), `${pkg.name}/${map} points at ${target}, which is not shipped`)
      }
    }

    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    assert.ok(readme.includes(`npm install ${pkg.name}`), `${pkg.name}'s README says how to install it`)
    assert.ok(readme.includes('npm run docs'), `${pkg.name}'s README says where the reference is`)
  })
}
