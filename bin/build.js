#!/usr/bin/env node
// Builds doplab's JavaScript into dist/ (`npm run build`; `npm install` runs it as the `prepare` script).
// Every .ts file of bin/, lib/, labs/ and checkers/ is compiled on its own (esbuild, no bundling, no type
// check: `npm run typecheck` does that), so dist/ mirrors the source tree and a lab's parts are still
// found by their computed paths (lib/lab.ts). The files the code reads next to itself (lab READMEs,
// example facts, baseline templates, *.handler.js inlined at synth) are copied beside it, and each lab
// README's marked tokens are written beside it (README.tokens.json: `show` skips the lexer). dist/.built is
// written last: bin/doplab.js uses the build only while no source is newer than that file.
// One change to esbuild's output: AWS SDK client packages (and fflate) are required on first use of one of their
// exports, not when the module that imports them loads, so `check --facts` (which evaluates a checker's
// facts but calls no AWS) does not pay for loading the SDK. esbuild compiles a named import to
// `var import_x = require("pkg")` read as `import_x.Name` at each use, so a lazy module object is exact.
// And zod and commander, loaded by every command and made of many small modules, are each bundled into
// one file under dist/vendor/ that every module of the build requires instead (one instance each).
// Bundling the SDK clients the same way was measured slower (each bundle repeats the SDK core).
// Start-up (bench/run.ts measures it): zod's bundle leaves out its ~50 message translations (the
// `locales` namespace, 420 KB of the 1 MB; doplab uses none, English stays as zod's default) and
// commander's bundle requires node:child_process (only for executable subcommands, which doplab has
// none of) on first use. The catalogue, labs/index.js, is one bundle of the labs' lab.ts data files and
// their contract.ts constants, which every command loads: one module instead of 18. Only those data
// files are inlined (a contract is also compiled on its own for the checkers and stacks: a duplicate
// of plain constants); everything else it imports stays a require of its own compiled module, so each
// module that holds state or classes (lib/errors, lib/lab...) still exists once.
// Usage: node bin/build.js [outdir]   (default: dist; the tests build into a throwaway folder)
'use strict';
const { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const ROOT = join(__dirname, '..');
/** The source folders; bin/ holds the launcher, its compile cache and this script too, which are not part of the build. */
const SOURCES = ['bin', 'lib', 'labs', 'checkers'];
const NOT_BUILT = new Set(['bin/doplab.js', 'bin/build.js', 'bin/compile-cache.js']);
/**
 * Sources no command loads: the policy proofs (lib/policy/, whose engines are devDependencies) and the
 * calls each lab declares for them (labs/<id>/calls.ts). The tests run them from the sources.
 */
const PROOFS_ONLY = /^(lib\/policy\/|labs\/[\w-]+\/calls\.ts$)/;

function walk(dir, files = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, files);
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * The packages whose require is deferred to first use (side-effect-free): the SDK client packages, and
 * fflate (the pipeline checkers unzip a source only while gathering; loading it builds its tables, ~100
 * million instructions, a fifth of node's own start-up, on every `check --facts` of those labs).
 */
const LAZY = /^var (import_[\w$]+) = require\("(@aws-sdk\/client-[\w-]+|fflate)"\);$/gm;
const LAZY_HELPER =
  'var __lazyRequire = (load) => { let m; const get = () => (m ??= load()); return new Proxy({}, { ' +
  'get: (_, k) => get()[k], has: (_, k) => k in get(), ownKeys: () => Reflect.ownKeys(get()), ' +
  'getOwnPropertyDescriptor: (_, k) => { const d = Object.getOwnPropertyDescriptor(get(), k); return d && { ...d, configurable: true }; } }); };\n';

/** Packages bundled into dist/vendor/<name>.js. */
const VENDORED = ['zod', 'commander', 'marked-terminal', 'picocolors', 'ms', 'fastest-levenshtein'];

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

/** esbuild plugin: zod's namespace of every message translation (`z.locales`) as an empty module. */
const withoutZodLocales = {
  name: 'without-zod-locales',
  setup(build) {
    build.onResolve({ filter: /[/\\]locales[/\\]index\.c?js$/ }, (args) => (/[/\\]zod[/\\]/.test(args.importer) ? { path: args.path, namespace: 'empty' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** What every esbuild run here produces: CommonJS for Node 20, returned rather than written. */
const ESBUILD = { format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning', write: false };

/** Node built-ins a vendored bundle requires on first use (see the header). */
const LAZY_BUILTIN = /^(\s*)var ([\w$]+) = require\("(node:child_process)"\);$/gm;

/**
 * zod's bundle entry: only the `z.<name>` members doplab's sources use (found by scanning them, so a new
 * use needs no list to be kept), as an ES module esbuild can tree-shake: 199 KB instead of zod's whole
 * 500 KB namespace (its JSON Schema generator, codecs and the rest of the string formats go), about half
 * zod's load time. Names zod does not export at run time (types such as `z.infer`) are skipped.
 * And zod runs jitless: by default it compiles a fast path for each object schema (`new Function`) the
 * first time it parses, which pays off over thousands of parses; a doplab command parses each schema once
 * or a few times. Measured with callgrind on `check backup-dr --facts`: 12% fewer instructions in all
 * (752 → 662 million; `node -e 0` alone is 503 million). The tests (from sources) keep zod's default.
 */
function zodEntry(sources) {
  const { z } = require('zod');
  const used = new Set(['config']);
  for (const file of sources) for (const [, name] of readFileSync(file, 'utf8').matchAll(/\bz\.([A-Za-z_$][\w$]*)/g)) if (name in z) used.add(name);
  const names = [...used].sort();
  return `import { ${names.map((n) => `${n} as z_${n}`).join(', ')} } from 'zod';\nexport const z = { ${names.map((n) => `${JSON.stringify(n)}: z_${n}`).join(', ')} };\nz_config({ jitless: true });\n`;
}

async function vendor(staging, sources) {
  const esbuild = require('esbuild');
  const stubs = join(staging, 'vendor-stubs');
  mkdirSync(stubs, { recursive: true });
  const alias = {};
  for (const [name, code] of Object.entries(STUBS)) {
    alias[name] = join(stubs, `${name}.mjs`);
    writeFileSync(alias[name], code);
  }
  for (const name of VENDORED) {
    const outfile = join(staging, 'vendor', `${name}.js`);
    // The ES module entry (`import`) where the package has one; marked-terminal's is the one without highlight.js.
    const contents = name === 'marked-terminal' ? `export * from ${JSON.stringify(name)};` : name === 'zod' ? zodEntry(sources) : `module.exports = require(${JSON.stringify(name)});`;
    const { outputFiles } = await esbuild.build({
      ...ESBUILD,
      stdin: { contents, resolveDir: ROOT, loader: 'js' },
      bundle: true,
      outfile,
      plugins: name === 'zod' ? [withoutZodLocales] : [],
      alias: name === 'marked-terminal' ? alias : undefined,
    });
    const code = outputFiles[0].text;
    const lazy = code.replace(LAZY_BUILTIN, '$1var $2 = __lazyRequire(() => require("$3"));');
    mkdirSync(dirname(outfile), { recursive: true });
    writeFileSync(outfile, lazy === code ? code : withLazyHelper(lazy));
  }
  rmSync(stubs, { recursive: true, force: true });
}

/** labs/index.ts bundled with the labs' lab.ts and contract.ts inlined (see the header); anything else stays a require. */
async function catalogue(staging) {
  const index = join(ROOT, 'labs', 'index.ts');
  const inlined = /[/\\]labs[/\\][\w-]+[/\\](lab|contract)\.ts$/;
  const outfile = join(staging, 'labs', 'index.js');
  const { outputFiles } = await require('esbuild').build({
    ...ESBUILD,
    entryPoints: [index],
    bundle: true,
    outfile,
    plugins: [
      {
        name: 'catalogue-data-only',
        setup(build) {
          build.onResolve({ filter: /.*/ }, async (args) => {
            if (args.kind === 'entry-point' || args.pluginData === 'resolving') return undefined;
            if (!args.path.startsWith('.')) return { path: args.path, external: true };
            const { path } = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
            if (inlined.test(path)) return { path };
            // Required from dist/labs/index.js: the path of its compiled module, relative to that file.
            const from = relative(join(ROOT, 'labs'), path.replace(/\.ts$/, '')).split('\\').join('/');
            return { path: from.startsWith('.') ? from : `./${from}`, external: true };
          });
        },
      },
    ],
  });
  return { path: outfile, text: outputFiles[0].text };
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
  return withLazyHelper(code.replace(LAZY, 'var $1 = __lazyRequire(() => require("$2"));'));
}

/** `code` with the __lazyRequire helper defined first (after the "use strict" directive, which must stay first). */
function withLazyHelper(code) {
  return code.startsWith('"use strict";\n') ? `"use strict";\n${LAZY_HELPER}${code.slice(14)}` : `${LAZY_HELPER}${code}`;
}

async function build(outdir) {
  const files = SOURCES.flatMap((dir) => walk(join(ROOT, dir))).filter((f) => {
    const path = relative(ROOT, f).split('\\').join('/');
    return !NOT_BUILT.has(path) && !PROOFS_ONLY.test(path);
  });
  const code = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const assets = files.filter((f) => !f.endsWith('.ts'));
  // Built beside the target, then swapped in: a doplab run at that moment sees the old build or the new one.
  const staging = `${outdir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const { outputFiles } = require('esbuild').buildSync({ ...ESBUILD, entryPoints: code, outdir: staging, outbase: ROOT, bundle: false });
  const bundled = await catalogue(staging);
  for (const file of [...outputFiles.filter((f) => f.path !== bundled.path), bundled]) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, useVendored(lazySdk(file.text), file.path, staging));
  }
  await vendor(staging, code);
  for (const asset of assets) {
    const to = join(staging, relative(ROOT, asset));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(asset, to);
  }
  // Each lab README's marked tokens, lexed by the build's own lexMarkdown (see lib/report/markdown.ts prelexed).
  const { lexMarkdown, tokensFileOf } = require(join(staging, 'lib', 'report', 'markdown.js'));
  for (const readme of assets.filter((f) => /[/\\]labs[/\\][\w-]+[/\\]README\.md$/.test(f))) {
    const markdown = readFileSync(readme, 'utf8');
    writeFileSync(tokensFileOf(join(staging, relative(ROOT, readme))), JSON.stringify({ markdown, tokens: lexMarkdown(markdown) }));
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
  build(outdir).then(
    ({ code, assets }) => process.stdout.write(`doplab: built ${code} modules and ${assets} files into ${relative(process.cwd(), outdir) || '.'} in ${Date.now() - started} ms\n`),
    (error) => {
      process.stderr.write(`doplab: build failed: ${error?.stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}

module.exports = { build };
