// The lab's preflight against a local registry on 127.0.0.1 (issue 10, defect 11): no real network.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DoplabError } from '../../lib/errors';
import type { PreflightContext } from '../../lib/lab';
import { lab } from '../../labs/codedeploy-blue-green/lab';
import { WEB_IMAGE } from '../../labs/codedeploy-blue-green/contract';
import { checkPinnedImage, parseImage, preflight } from '../../labs/codedeploy-blue-green/preflight';

/** A registry answer: status, body, content type. */
interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly type?: string;
}

/** A local stand-in for public.ecr.aws that answers by path and records each request. */
async function startRegistry(answer: (path: string) => Answer | 'hang'): Promise<{ url: string; requests: { path: string; headers: IncomingHttpHeaders }[]; close: () => Promise<void> }> {
  const requests: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    const a = answer(req.url ?? '');
    if (a === 'hang') return;
    res.writeHead(a.status, { 'content-type': a.type ?? 'application/json' });
    res.end(a.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const TOKEN = { status: 200, body: JSON.stringify({ token: 'eyJwYXlsb2FkIjoiYW5vbnltb3VzIn0=' }) };
const sha = (body: string) => `sha256:${createHash('sha256').update(body).digest('hex')}`;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** An OCI index with these platforms, and an image pinned to its digest. */
function index(platforms: readonly [string, string][]) {
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: platforms.map(([os, architecture], i) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${String(i).repeat(64)}`,
      size: 1022,
      platform: { os, architecture },
    })),
  });
  return { body, image: `public.ecr.aws/nginx/nginx@${sha(body)}` };
}

describe('codedeploy-blue-green preflight: the pinned web image', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
  afterEach(async () => {
    await registry?.close();
    registry = undefined;
  });

  it('is found by the lab convention', () => {
    expect(lab.preflight).toBeDefined();
    expect(parseImage(WEB_IMAGE)).toEqual({ registry: 'public.ecr.aws', repository: 'nginx/nginx', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
  });

  it('passes when the digest is an index with linux/amd64, asking anonymously for a pull token then the manifest', async () => {
    const { body, image } = index([['linux', 'arm64'], ['linux', 'amd64']]);
    registry = await startRegistry((path) => (path.startsWith('/token/') ? TOKEN : { status: 200, body, type: OCI_INDEX }));
    await expect(checkPinnedImage(image, { registryUrl: registry.url })).resolves.toBeUndefined();
    expect(registry.requests.map((r) => r.path)).toEqual([
      '/token/?service=public.ecr.aws&scope=repository%3Anginx%2Fnginx%3Apull',
      `/v2/nginx/nginx/manifests/${sha(body)}`,
    ]);
    expect(registry.requests[0].headers.authorization).toBeUndefined();
    expect(registry.requests[1].headers.authorization).toBe('Bearer eyJwYXlsb2FkIjoiYW5vbnltb3VzIn0=');
    expect(registry.requests[1].headers.accept).toBe(
      'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    );
  });

  it('refuses in seconds when the digest does not exist', async () => {
    registry = await startRegistry((path) =>
      path.startsWith('/token/') ? TOKEN : { status: 404, body: JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'Requested image not found' }] }) },
    );
    const logged: string[] = [];
    const ctx: PreflightContext = { account: '111122223333', region: 'eu-west-1', client: () => fail('no AWS call'), log: (l) => logged.push(l) };
    const error = (await preflight(ctx, { registryUrl: registry.url }).catch((e: unknown) => e)) as DoplabError;
    expect(error).toBeInstanceOf(DoplabError);
    expect(error.code).toBe('DEPLOY_FAILED');
    expect(error.message).toBe(
      `The lab's web image ${WEB_IMAGE} does not exist in public.ecr.aws (HTTP 404 for its digest), so the ECS service would never start and the deploy would fail after many minutes.`,
    );
    expect(error.hint).toContain('pin WEB_IMAGE in labs/codedeploy-blue-green/contract.ts');
    expect(logged).toEqual([`Checking the pinned web image on ECR Public: ${WEB_IMAGE}`]);
  });

  it('refuses an index without linux/amd64, naming the platforms it has', async () => {
    const { body, image } = index([['linux', 'arm64'], ['linux', 'arm']]);
    registry = await startRegistry((path) => (path.startsWith('/token/') ? TOKEN : { status: 200, body, type: OCI_INDEX }));
    await expect(checkPinnedImage(image, { registryUrl: registry.url })).rejects.toThrow(
      `The lab's web image ${image} has no linux/amd64 manifest (Fargate's default platform); its platforms: linux/arm64, linux/arm,`,
    );
  });

  it("reads a single manifest's config for its platform: amd64 passes, arm64 is refused", async () => {
    const manifest = (config: string) =>
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 7 }, layers: [] });
    for (const [architecture, passes] of [['amd64', true], ['arm64', false]] as const) {
      const configBody = JSON.stringify({ architecture, os: 'linux', config: {} });
      const body = manifest(sha(configBody));
      registry = await startRegistry((path) =>
        path.startsWith('/token/') ? TOKEN : path.includes('/blobs/') ? { status: 200, body: configBody } : { status: 200, body, type: 'application/vnd.docker.distribution.manifest.v2+json' },
      );
      const image = `public.ecr.aws/nginx/nginx@${sha(body)}`;
      if (passes) await expect(checkPinnedImage(image, { registryUrl: registry.url })).resolves.toBeUndefined();
      else await expect(checkPinnedImage(image, { registryUrl: registry.url })).rejects.toThrow(`is a single linux/arm64 image, not linux/amd64`);
      expect(registry.requests.map((r) => r.path)[2]).toBe(`/v2/nginx/nginx/blobs/${sha(configBody)}`);
      await registry.close();
      registry = undefined;
    }
  });

  it('refuses content that does not hash to the pinned digest', async () => {
    const { body } = index([['linux', 'amd64']]);
    const pinned = `public.ecr.aws/nginx/nginx@sha256:${'a'.repeat(64)}`;
    registry = await startRegistry((path) => (path.startsWith('/token/') ? TOKEN : { status: 200, body, type: OCI_INDEX }));
    await expect(checkPinnedImage(pinned, { registryUrl: registry.url })).rejects.toThrow(`was served with content of digest ${sha(body)}`);
  });

  it('warns, without blocking, when the registry cannot be reached', async () => {
    registry = await startRegistry(() => TOKEN);
    const closed = registry.url;
    await registry.close();
    registry = undefined;
    const ctx: PreflightContext = { account: '111122223333', region: 'eu-west-1', client: () => fail('no AWS call'), log: () => undefined };
    const result = await preflight(ctx, { registryUrl: closed });
    expect(result.notes).toEqual([
      'Warning: Could not check the web image on public.ecr.aws (127.0.0.1:' + closed.split(':').pop() + ': ECONNREFUSED); deploying anyway. If the ECS service never becomes stable, the pinned image is the first suspect.',
    ]);
    expect(result.context).toBeUndefined();
  });

  it('warns when the registry does not answer in time, or answers with an error status', async () => {
    registry = await startRegistry(() => 'hang');
    const started = Date.now();
    await expect(checkPinnedImage(WEB_IMAGE, { registryUrl: registry.url, timeoutMs: 200 })).resolves.toMatch(/^Could not check the web image on public\.ecr\.aws \(127\.0\.0\.1:\d+: no answer within 0\.2 s\); deploying anyway\./);
    expect(Date.now() - started).toBeLessThan(3000);
    await registry.close();
    registry = await startRegistry((path) => (path.startsWith('/token/') ? TOKEN : { status: 503, body: 'Service Unavailable', type: 'text/plain' }));
    await expect(checkPinnedImage(WEB_IMAGE, { registryUrl: registry.url })).resolves.toMatch(/\(the manifest request answered HTTP 503\); deploying anyway\./);
  });
});
