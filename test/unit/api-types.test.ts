// Every type that a public signature uses is exported by that entry point, and importable from
// it: walks the shipped .d.ts of each entry point (as a user's compiler sees them), collects every
// named type their exports refer to (members, parameters, results, bases, recursively), then
// compiles a file that imports all of them from the package name.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { ENTRIES } from '../../scripts/api-report.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ours = [join(root, 'core', 'dist') + sep, join(root, 'signaling', 'dist') + sep]
const isOurs = (file: string): boolean => ours.some((dir) => file.startsWith(dir))

/** Names of the types declared in our packages that the exports of `dts` refer to, with who uses them. */
function referencedTypes(dts: string): { exported: Set<string>; used: Map<string, string> } {
  const program = ts.createProgram([dts], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  })
  const checker = program.getTypeChecker()
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(dts)!)!
  const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s)
  const exports = checker.getExportsOfModule(moduleSymbol)
  const exported = new Set(exports.map((s) => s.name))
  const exportedTargets = new Map(exports.map((s) => [resolve(s), s.name]))
  const used = new Map<string, string>()
  const seen = new Set<ts.Symbol>()

  const visitSymbol = (symbol: ts.Symbol, by: string): void => {
    if (seen.has(symbol)) return
    seen.add(symbol)
    for (const decl of symbol.declarations ?? []) {
      if (!isOurs(decl.getSourceFile().fileName)) continue
      visitNode(decl, by)
    }
  }
  const visitNode = (node: ts.Node, by: string): void => {
    // What a user cannot reach does not count: private members carry no type in a .d.ts anyway.
    if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return
    let name: ts.Node | undefined
    if (ts.isTypeReferenceNode(node)) name = node.typeName
    else if (ts.isExpressionWithTypeArguments(node)) name = node.expression
    else if (ts.isTypeQueryNode(node)) name = node.exprName
    if (name) {
      const at = checker.getSymbolAtLocation(name)
      const target = at && resolve(at)
      const decl = target?.declarations?.[0]
      if (target && decl && isOurs(decl.getSourceFile().fileName) && !(target.flags & ts.SymbolFlags.TypeParameter)) {
        const publicName = exportedTargets.get(target) ?? target.name
        if (!used.has(publicName)) used.set(publicName, by)
        visitSymbol(target, publicName)
      }
    }
    ts.forEachChild(node, (child) => visitNode(child, by))
  }
  for (const s of exports) visitSymbol(resolve(s), s.name)
  return { exported, used }
}

for (const entry of ENTRIES) {
  test(`${entry.importPath}: every type its exports use is exported and importable`, () => {
    const { exported, used } = referencedTypes(join(root, entry.pkg, entry.dts))
    assert.ok(used.size >= 3, `only ${used.size} referenced types found: the walk is broken`)
    const missing = [...used].filter(([name]) => !exported.has(name))
    assert.deepEqual(
      missing.map(([name, by]) => `${name} (used by ${by})`),
      [],
      `types used by public signatures of ${entry.importPath} but not exported by it`,
    )

    // The user's view: import every one of them by the package name, as a program would.
    const names = [...used.keys()].sort()
    const dir = mkdtempSync(join(root, 'test', '.api-types-'))
    try {
      const file = join(dir, 'imports.ts')
      writeFileSync(
        file,
        `import type { ${names.join(', ')} } from '${entry.importPath}'\nexport type { ${names.join(', ')} }\n`,
      )
      const program = ts.createProgram([file], {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      })
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      assert.deepEqual(diagnostics, [], `importing ${names.join(', ')} from ${entry.importPath}`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('the types the issue named are among them', () => {
  const { used } = referencedTypes(join(root, 'core', 'dist', 'index.d.ts'))
  for (const name of ['CompactionOptions', 'EpochCut', 'Key', 'KeyLike', 'DocStore', 'RoomCache', 'Emitter']) {
    assert.ok(used.has(name), `${name} is used by a public signature of @diffstream/core`)
  }
})
