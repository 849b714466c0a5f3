// The status-page app the lab seeds into the pipeline's source (source.zip), as path → content. No CDK import: the
// solution and the checker's tests read it too. Its buildspec is broken on purpose, in two places (the runtime version
// and the artifact paths); the third cause of the failure is the build role's (it cannot read the parameter).
import { BROKEN_NODEJS_VERSION, MARKER_KEY, PARAMETER_NAME } from './contract';

/** The buildspec as seeded, and its two broken lines. */
export const BROKEN = {
  runtime: `      nodejs: ${BROKEN_NODEJS_VERSION}`,
  artifacts: ['artifacts:', '  files:', "    - 'public/**/*'"].join('\n'),
} as const;

/** The buildspec the team wrote: the banner from Parameter Store, then `node build.js` writes the page into dist/. */
export const SEEDED_BUILDSPEC = [
  'version: 0.2',
  'env:',
  '  parameter-store:',
  `    BANNER: ${PARAMETER_NAME}`,
  'phases:',
  '  install:',
  '    runtime-versions:',
  BROKEN.runtime,
  '  build:',
  '    commands:',
  '      - node build.js',
  BROKEN.artifacts,
  '',
].join('\n');

/** The seeded source: the page template, the build script and the (broken) buildspec. */
export const SEEDED_SOURCE: Readonly<Record<string, string>> = {
  'buildspec.yml': SEEDED_BUILDSPEC,
  'package.json': `{
  "name": "status-page",
  "version": "2.3.0",
  "private": true,
  "scripts": { "build": "node build.js" }
}
`,
  'src/index.html': `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Status</title></head>
<body>
<h1>Service status</h1>
<p class="banner">{{banner}}</p>
</body>
</html>
`,
  'build.js': `'use strict';
// Builds the status page into dist/: the template with the banner (from Parameter Store), and ${MARKER_KEY}.
const fs = require('node:fs');

const banner = process.env.BANNER;
if (!banner) throw new Error('BANNER is not set: the buildspec reads it from Parameter Store');
const escape = (text) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/index.html', fs.readFileSync('src/index.html', 'utf8').replace('{{banner}}', escape(banner)));
const info = { buildId: process.env.CODEBUILD_BUILD_ID || null, sourceVersion: process.env.CODEBUILD_RESOLVED_SOURCE_VERSION || null, builtAt: new Date().toISOString() };
fs.writeFileSync('dist/${MARKER_KEY}', JSON.stringify(info, null, 2) + '\\n');
console.log('built dist/index.html and dist/${MARKER_KEY}');
`,
};
