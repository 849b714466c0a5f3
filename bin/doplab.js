#!/usr/bin/env node
// The `doplab` command: runs bin/doplab.ts through tsx's CommonJS loader (no build step).
require('tsx/cjs/api').register();
require('./doplab.ts');
