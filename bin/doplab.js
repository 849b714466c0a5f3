#!/usr/bin/env node
// The `doplab` command: runs bin/doplab.ts through tsx's CommonJS hook (no build step). doplab loads
// its own modules lazily with require(), never import(), so this one hook covers everything.
require('tsx/cjs/api').register();
require('./doplab.ts');
