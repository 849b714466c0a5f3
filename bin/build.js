#!/usr/bin/env node
// Builds doplab's JavaScript into dist/ (`npm run build`; `npm install` runs it as the `prepare` script).
// Every .ts file of bin/, lib/, labs/ and checkers/ is compiled on its own (esbuild, no bundling, no type
// check: `npm run typecheck` does that), so dist/ mirrors the source tree and a lab's parts are still
// found by their computed paths (lib/lab.ts). The files the code reads next to itself (lab READMEs,
// example facts, baseline templates, *.handler.js inlined at synth) are copied beside it. dist/.built is
// written last: bin/doplab.js uses the build only while no source is newer than that file.
// Usage: node bin/build.js [outdir]   (default: dist; the tests build into a throwaway folder)
'use strict';
const { cpSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
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

function build(outdir) {
  const files = SOURCES.flatMap((dir) => walk(join(ROOT, dir))).filter((f) => !NOT_BUILT.has(relative(ROOT, f).split('\\').join('/')));
  const code = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const assets = files.filter((f) => !f.endsWith('.ts'));
  // Built beside the target, then swapped in: a doplab run at that moment sees the old build or the new one.
  const staging = `${outdir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  require('esbuild').buildSync({
    entryPoints: code,
    outdir: staging,
    outbase: ROOT,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
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

if (require.main === module) {
  const outdir = resolve(ROOT, process.argv[2] ?? 'dist');
  const started = Date.now();
  const { code, assets } = build(outdir);
  process.stdout.write(`doplab: built ${code} modules and ${assets} files into ${relative(process.cwd(), outdir) || '.'} in ${Date.now() - started} ms\n`);
}

module.exports = { build };
