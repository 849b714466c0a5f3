import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The SDK warns once per process under Node 20 that future releases need Node 22; the CLI silences it the
// same way (bin/doplab.ts), and the README says it once. Spawned doplab processes inherit this too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The tests run doplab from the TypeScript sources, never from a build in dist/ that may be older.
process.env.DOPLAB_FROM_SOURCES = '1';
// aws-cdk-lib's built-in CloudFormation validation costs ~2 s a synth; one test per lab turns it back on.
process.env.CDK_VALIDATION ??= 'false';
// No test may reach a real AWS endpoint or pick up the developer's profile by accident.
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
// doplab's config and state (~/.doplab) live in a fresh directory per test file, never the developer's.
process.env.DOPLAB_HOME = mkdtempSync(join(tmpdir(), 'doplab-home-'));
delete process.env.DOPLAB_CONFIG;
delete process.env.DOPLAB_SANDBOX_ACCOUNTS;
