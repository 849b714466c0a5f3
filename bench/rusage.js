// Preloaded into every process the bench times (`node -r bench/rusage.js ...`): at exit, appends the
// process's own CPU time and peak memory to the file named by DOPLAB_BENCH_RUSAGE, one JSON line.
'use strict';
const file = process.env.DOPLAB_BENCH_RUSAGE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    require('node:fs').appendFileSync(file, `${JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssKb: u.maxRSS })}\n`);
  });
}
