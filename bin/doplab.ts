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
