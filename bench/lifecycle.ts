// Lifecycle benchmarks: prints numbers, asserts nothing (DESIGN §11). Run with `npx tsx bench/lifecycle.ts`.
// Wall time of the CLI's lifecycle paths that need no CloudFormation deploy, against a canned local endpoint
// (no latency): the preflight (guard refusing), status, and destroy of a lab that is not deployed
// (DescribeStacks, then the leftover audit), with the API calls each sends.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { callerIdentity, CLOUDFORMATION_NS, queryError, queryResponse, startFakeAwsEndpoint, type FakeResponse } from '../test/support/canned-endpoint';

const ROOT = join(__dirname, '..');
const LAB = 'cloudwatch-metric-filters';
const ACCOUNT = '111122223333';
const RUNS = 5;
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const JSON_ANSWERS: Record<string, object> = {
  'ResourceGroupsTaggingAPI_20170126.GetResources': { ResourceTagMappingList: [], PaginationToken: '' },
  'GraniteServiceVersion20100801.DescribeAlarms': { MetricAlarms: [], CompositeAlarms: [] },
  'Logs_20140328.DescribeLogGroups': { logGroups: [] },
};

function answer(action: string | null, target: string, body: string): FakeResponse {
  if (action === 'GetCallerIdentity') return callerIdentity(ACCOUNT);
  if (action === 'ListAccountAliases') return queryResponse(IAM_NS, 'ListAccountAliases', '<IsTruncated>false</IsTruncated><AccountAliases/>');
  if (action === 'DescribeStacks' && body.includes('StackName=')) return queryError(CLOUDFORMATION_NS, 'ValidationError', `Stack with id DopLab-${LAB} does not exist`);
  if (action === 'DescribeStacks') return queryResponse(CLOUDFORMATION_NS, 'DescribeStacks', '<Stacks/>');
  const json = JSON_ANSWERS[target];
  if (json) return { status: 200, body: JSON.stringify(json), contentType: 'application/x-amz-json-1.1' };
  return queryError(CLOUDFORMATION_NS, 'InternalFailure', `not answered: ${action ?? target}`, 500);
}

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; status: number | null }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'doplab.js'), ...args], { cwd: ROOT, env, stdio: ['pipe', 'ignore', 'ignore'] });
    child.on('close', (status) => resolve({ ms: performance.now() - started, status }));
  });
}

async function main(): Promise<void> {
  console.log(`doplab lifecycle paths, ${RUNS} runs each, median wall time (min–max):`);
  const endpoint = await startFakeAwsEndpoint((r) => answer(r.action, String(r.headers['x-amz-target'] ?? ''), r.body));
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('DOPLAB_'))),
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: '/nonexistent/doplab-bench/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/doplab-bench/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: endpoint.url,
    DOPLAB_HOME: mkdtempSync(join(tmpdir(), 'doplab-bench-')),
  };
  const cases: [string, string[], NodeJS.ProcessEnv][] = [
    ['deploy, guard refuses (preflight only)', ['deploy', LAB], env],
    ['status', ['status'], env],
    ['destroy, lab not deployed (+ audit)', ['destroy', LAB], { ...env, DOPLAB_SANDBOX_ACCOUNTS: ACCOUNT }],
  ];
  try {
    for (const [name, args, caseEnv] of cases) {
      const samples: number[] = [];
      let calls = 0;
      let status: number | null = null;
      for (let i = 0; i < RUNS; i++) {
        endpoint.requests.splice(0);
        const result = await run(args, caseEnv);
        samples.push(result.ms);
        status = result.status;
        calls = endpoint.requests.length;
      }
      samples.sort((a, b) => a - b);
      console.log(`  ${name.padEnd(40)} ${Math.round(samples[Math.floor(RUNS / 2)])} ms (${Math.round(samples[0])}–${Math.round(samples[RUNS - 1])}), ${calls} API calls, exit ${status}`);
    }
  } finally {
    await endpoint.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
