// V8's compiled code of every CommonJS module doplab loads (its build, and the AWS SDK, commander and zod it
// requires), kept on disk between runs, so a run after the first compiles almost nothing: a `check` spends
// about a sixth of its CPU compiling JavaScript otherwise (bench/run.ts measures it).
// Node 22.1+ does this itself: `module.enableCompileCache()`, used when present. On Node 20 the same is done
// the way the v8-compile-cache package does it: Module.prototype._compile compiles through vm.Script with
// the cached data, and the data of newly compiled modules is written at exit.
// Cache entries are keyed by the module's path, size and modification time (V8 itself checks only the
// source length), written atomically (temp file, then rename); a rejected or unreadable entry is ignored
// and rewritten. NODE_DISABLE_COMPILE_CACHE=1 turns it off, as on Node 22; NODE_COMPILE_CACHE names the folder
// (default: <tmpdir>/doplab-compile-cache-<uid>). The folder must be the user's own and writable by nobody
// else, or the cache stays off (ownPrivateDir).
'use strict';
const Module = require('node:module');
const { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

/** The cache folder: NODE_COMPILE_CACHE, or one per user in the temporary directory. */
function cacheDir() {
  return process.env.NODE_COMPILE_CACHE || join(tmpdir(), `doplab-compile-cache-${process.getuid?.() ?? 'user'}`);
}

/**
 * Whether `dir` is safe to load compiled code from: a real folder (not a link) of this user that nobody else
 * can write. The default lives in the shared temporary directory, where another local user could create it
 * first and plant entries: cached code runs as doplab, so a folder that fails this test turns the cache off.
 */
function ownPrivateDir(dir) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return false;
    if (typeof process.getuid !== 'function') return true; // Windows: the temporary directory is the user's own.
    return stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * A cache entry's file name: FNV-1a (52 bits) of the module's path, size and modification time. Not
 * node:crypto, which a plain `doplab list` would otherwise load only for this (~10 ms).
 */
function entryName(filename, size, mtimeMs) {
  const text = `${filename}\0${size}\0${mtimeMs}`;
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) hash = ((hash ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xfffffffffffffn;
  return `${hash.toString(16)}.bin`;
}

/** The `require` a module's code receives, as Node makes it. */
function requireOf(module, main) {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = main;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** Keeps compiled code between runs; `main` is the module that `require.main` names in every module. */
function enableCompileCache(main) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return;
  const dir = cacheDir();
  if (!ownPrivateDir(dir)) return;
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(dir);
    return;
  }
  /** Scripts compiled without usable cached data: their data is written at exit (it then covers the functions the run compiled). */
  const fresh = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename) {
    let key;
    let cachedData;
    try {
      const { size, mtimeMs } = statSync(filename);
      key = join(dir, entryName(filename, size, mtimeMs));
      cachedData = readFileSync(key);
    } catch {
      // No entry yet (or the file is not on disk): compiled afresh, and cached at exit when it has a key.
    }
    let script;
    try {
      script = new vm.Script(Module.wrap(content), { filename, cachedData, importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER });
    } catch {
      // What vm.Script cannot compile (a syntax error, say) is left to Node, which reports it as it always does.
      return compile.call(this, content, filename);
    }
    if (key && (cachedData === undefined || script.cachedDataRejected)) fresh.push({ key, script });
    const require = requireOf(this, main);
    return script.runInThisContext({ displayErrors: true }).call(this.exports, this.exports, require, this, filename, dirname(filename));
  };
  process.once('exit', () => {
    if (fresh.length === 0) return;
    try {
      mkdirSync(dir, { recursive: true });
      for (const { key, script } of fresh) {
        const temp = `${key}.${process.pid}`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, key);
      }
    } catch {
      // A cache that cannot be written only costs speed.
    }
  });
}

module.exports = { enableCompileCache, cacheDir };
