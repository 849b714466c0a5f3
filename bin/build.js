#!/usr/bin/env node
// Builds doplab's JavaScript into dist/ (`npm run build`; `npm install` runs it as the `prepare` script).
// Every .ts file of bin/, lib/, labs/ and checkers/ is compiled on its own (esbuild, no bundling, no type
// check: `npm run typecheck` does that), so dist/ mirrors the source tree and a lab's parts are still
// found by their computed paths (lib/lab.ts). The files the code reads next to itself (lab READMEs,
// example facts, baseline templates, *.handler.js inlined at synth) are copied beside it. dist/.built is
// written last: bin/doplab.js uses the build only while no source is newer than that file.
// One change to esbuild's output: AWS SDK client packages are required on first use of one of their
// exports, not when the module that imports them loads, so `check --facts` (which evaluates a checker's
// facts but calls no AWS) does not pay for loading the SDK. esbuild compiles a named import to
// `var import_x = require("pkg")` read as `import_x.Name` at each use, so a lazy module object is exact.
// And zod and commander, loaded by every command and made of many small modules, are each bundled into
// one file under dist/vendor/ that every module of the build requires instead (one instance each).
// Bundling the SDK clients the same way was measured slower (each bundle repeats the SDK core).
// Usage: node bin/build.js [outdir]   (default: dist; the tests build into a throwaway folder)
'use strict';
const { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const ROOT = join(__dirname, '..');
/** The source folders; bin/ holds the launcher and this script too, which are not part of the build. */
const SOURCES = ['bin', 'lib', 'labs', 'checkers'];
const NOT_BUILT = new Set(['bin/doplab.js', 'bin/build.js']);

function walk(dir, files = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, files);
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** The SDK packages whose require is deferred to first use (side-effect-free client packages). */
const LAZY = /^var (import_[\w$]+) = require\("(@aws-sdk\/client-[\w-]+)"\);$/gm;
const LAZY_HELPER =
  'var __lazyRequire = (load) => { let m; const get = () => (m ??= load()); return new Proxy({}, { ' +
  'get: (_, k) => get()[k], has: (_, k) => k in get(), ownKeys: () => Reflect.ownKeys(get()), ' +
  'getOwnPropertyDescriptor: (_, k) => { const d = Object.getOwnPropertyDescriptor(get(), k); return d && { ...d, configurable: true }; } }); };\n';

/** Packages bundled into dist/vendor/<name>.js. */
const VENDORED = ['zod', 'commander', 'marked-terminal'];

/**
 * marked-terminal (loaded by `doplab show` only) is bundled from its ES module source, not its CommonJS
 * file: that one inlines highlight.js with every language (1.9 MB, most of its load time). doplab never
 * calls the dependencies stubbed here: lib/report/markdown.ts draws code blocks (no syntax highlighting)
 * and tables itself, and turns emoji off. test/cli/build.test.ts compares `show` from the build and the sources.
 */
const STUBS = {
  'cli-highlight': 'export function highlight(code) { return code; }\n',
  'node-emoji': 'export function get() { return undefined; }\n',
  'cli-table3': 'export default class Table { constructor() { throw new Error("doplab draws tables itself (lib/report/markdown.ts)"); } }\n',
};

function vendor(staging) {
  const stubs = join(staging, 'vendor-stubs');
  mkdirSync(stubs, { recursive: true });
  const alias = {};
  for (const [name, code] of Object.entries(STUBS)) {
    alias[name] = join(stubs, `${name}.mjs`);
    writeFileSync(alias[name], code);
  }
  for (const name of VENDORED) {
    // The ES module entry (`import`) where the package has one; marked-terminal's is the one without highlight.js.
    const contents = name === 'marked-terminal' ? `export * from ${JSON.stringify(name)};` : `module.exports = require(${JSON.stringify(name)});`;
    require('esbuild').buildSync({
      stdin: { contents, resolveDir: ROOT, loader: 'js' },
      bundle: true,
      outfile: join(staging, 'vendor', `${name}.js`),
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      logLevel: 'warning',
      alias: name === 'marked-terminal' ? alias : undefined,
    });
  }
  rmSync(stubs, { recursive: true, force: true });
}

/** A module's requires of vendored packages, pointed at dist/vendor/. */
function useVendored(code, outfile, staging) {
  return code.replace(/require\("([^"]+)"\)/g, (call, name) => {
    if (!VENDORED.includes(name)) return call;
    const path = relative(dirname(outfile), join(staging, 'vendor', `${name}.js`)).split('\\').join('/');
    return `require(${JSON.stringify(path.startsWith('.') ? path : `./${path}`)})`;
  });
}

/** esbuild's CommonJS output with SDK client requires made lazy (see the header). */
function lazySdk(code) {
  if (!LAZY.test(code)) return code;
  LAZY.lastIndex = 0;
  const body = code.replace(LAZY, 'var $1 = __lazyRequire(() => require("$2"));');
  // After the "use strict" directive, which must stay first.
  return body.startsWith('"use strict";\n') ? `"use strict";\n${LAZY_HELPER}${body.slice(14)}` : `${LAZY_HELPER}${body}`;
}

function build(outdir) {
  const files = SOURCES.flatMap((dir) => walk(join(ROOT, dir))).filter((f) => !NOT_BUILT.has(relative(ROOT, f).split('\\').join('/')));
  const code = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const assets = files.filter((f) => !f.endsWith('.ts'));
  // Built beside the target, then swapped in: a doplab run at that moment sees the old build or the new one.
  const staging = `${outdir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const { outputFiles } = require('esbuild').buildSync({
    write: false,
    entryPoints: code,
    outdir: staging,
    outbase: ROOT,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, useVendored(lazySdk(file.text), file.path, staging));
  }
  vendor(staging);
  for (const asset of assets) {
    const to = join(staging, relative(ROOT, asset));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(asset, to);
  }
  writeFileSync(join(staging, '.built'), `${JSON.stringify({ builtAt: new Date().toISOString(), files: code.length, assets: assets.length })}\n`);
  rmSync(outdir, { recursive: true, force: true });
  renameSync(staging, outdir);
  return { code: code.length, assets: assets.length };
}

if (require.main === module && !existsSync(join(ROOT, 'lib'))) {
  // An installed package ships dist/ without its sources: nothing to build (npm may run `prepare` there).
  process.stdout.write('doplab: no sources here; dist/ is the shipped build\n');
} else if (require.main === module) {
  const outdir = resolve(ROOT, process.argv[2] ?? 'dist');
  const started = Date.now();
  const { code, assets } = build(outdir);
  process.stdout.write(`doplab: built ${code} modules and ${assets} files into ${relative(process.cwd(), outdir) || '.'} in ${Date.now() - started} ms\n`);
}

module.exports = { build };
