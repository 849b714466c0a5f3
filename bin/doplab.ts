// The SDK warns on every run under Node 20 that future releases will need Node 22; the README says so once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { main } from '../lib/cli';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`doplab: internal error: ${String(error)}\n`);
    process.exitCode = 4;
  },
);
