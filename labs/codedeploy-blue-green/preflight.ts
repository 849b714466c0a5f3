// The lab's deploy preflight: is the pinned web image really on ECR Public, with a linux/amd64 manifest?
// Without it the ECS service never stabilises and the deploy fails after many minutes; this answers in seconds.
// Anonymous Docker Registry HTTP API v2 (token, then manifest), with Node's fetch. public.ecr.aws is not an
// AWS API, so --endpoint-url does not apply: an emulator pulls the same public image. Loaded only by deploy.
import { createHash } from 'node:crypto';
import { DoplabError } from '../../lib/errors';
import type { PreflightContext, PreflightResult } from '../../lib/lab';
import { WEB_IMAGE } from './contract';

/** Where and how long to ask; tests point it at a local server. */
export interface RegistryOptions {
  /** The registry's base URL. @default https://public.ecr.aws */
  readonly registryUrl?: string;
  /** Per request. @default 5000 */
  readonly timeoutMs?: number;
}

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const IMAGE_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
/** Fargate's default platform (the task definition sets no runtimePlatform). */
const PLATFORM = { os: 'linux', architecture: 'amd64' } as const;

/** `public.ecr.aws/nginx/nginx@sha256:…` → its repository and digest. */
export function parseImage(image: string): { readonly registry: string; readonly repository: string; readonly digest: string } {
  const match = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/.exec(image);
  if (!match) throw new DoplabError('INTERNAL', 'harness', `${image} is not an image pinned by digest (registry/repository@sha256:…).`);
  return { registry: match[1], repository: match[2], digest: match[3] };
}

/** The registry could not give an answer (network, timeout, an unexpected status): the caller warns. */
class Unreachable extends Error {}

interface Manifest {
  readonly mediaType?: string;
  readonly manifests?: readonly { readonly digest?: string; readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string } }[];
  readonly config?: { readonly digest?: string };
  /** Schema 1 manifests name it at the top level. */
  readonly architecture?: string;
}

async function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.message);
    throw new Unreachable(`${new URL(url).host}: ${why}`);
  }
}

function refuse(image: string, what: string): DoplabError {
  return new DoplabError('DEPLOY_FAILED', 'harness', `The lab's web image ${image} ${what}, so the ECS service would never start and the deploy would fail after many minutes.`, {
    hint: 'This is a bug in the lab: pin WEB_IMAGE in labs/codedeploy-blue-green/contract.ts to a current linux/amd64 digest (docker buildx imagetools inspect public.ecr.aws/nginx/nginx:<tag>) and please report it.',
  });
}

/**
 * Resolves `image` anonymously: a pull token for its repository, then its manifest by digest (an index or list
 * must name linux/amd64; a single manifest's config must be linux/amd64). Throws a DoplabError when the digest
 * is missing or not amd64; resolves a warning when the registry cannot be asked, undefined when all is well.
 */
export async function checkPinnedImage(image: string, options: RegistryOptions = {}): Promise<string | undefined> {
  const base = (options.registryUrl ?? 'https://public.ecr.aws').replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const { registry, repository, digest } = parseImage(image);
  try {
    const tokenResponse = await get(`${base}/token/?service=${encodeURIComponent(registry)}&scope=${encodeURIComponent(`repository:${repository}:pull`)}`, {}, timeoutMs);
    if (!tokenResponse.ok) throw new Unreachable(`the token endpoint answered HTTP ${tokenResponse.status}`);
    const token = ((await tokenResponse.json()) as { token?: string }).token;
    if (!token) throw new Unreachable('the token endpoint gave no token');
    const auth = { Authorization: `Bearer ${token}` };

    const response = await get(`${base}/v2/${repository}/manifests/${digest}`, { ...auth, Accept: [...INDEX_TYPES, ...IMAGE_TYPES].join(', ') }, timeoutMs);
    if (response.status === 404) throw refuse(image, `does not exist in ${registry} (HTTP 404 for its digest)`);
    if (!response.ok) throw new Unreachable(`the manifest request answered HTTP ${response.status}`);
    const body = Buffer.from(await response.arrayBuffer());
    // Content addressing: what the registry served must hash to the pinned digest.
    const served = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (served !== digest) throw refuse(image, `was served with content of digest ${served}`);
    const manifest = JSON.parse(body.toString('utf8')) as Manifest;
    const mediaType = manifest.mediaType ?? response.headers.get('content-type')?.split(';')[0] ?? '';

    if (INDEX_TYPES.includes(mediaType) || manifest.manifests) {
      const platforms = (manifest.manifests ?? []).map((m) => m.platform).filter((p) => p !== undefined);
      if (platforms.some((p) => p.os === PLATFORM.os && p.architecture === PLATFORM.architecture)) return undefined;
      const listed = platforms.map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`).join(', ') || 'none';
      throw refuse(image, `has no linux/amd64 manifest (Fargate's default platform); its platforms: ${listed}`);
    }
    let platform: { os?: string; architecture?: string } = { architecture: manifest.architecture, os: PLATFORM.os };
    if (manifest.config?.digest) {
      const config = await get(`${base}/v2/${repository}/blobs/${manifest.config.digest}`, auth, timeoutMs);
      if (!config.ok) throw new Unreachable(`the image config request answered HTTP ${config.status}`);
      platform = (await config.json()) as { os?: string; architecture?: string };
    }
    if (platform.os === PLATFORM.os && platform.architecture === PLATFORM.architecture) return undefined;
    throw refuse(image, `is a single ${platform.os ?? '?'}/${platform.architecture ?? '?'} image, not linux/amd64 (Fargate's default platform)`);
  } catch (error) {
    if (error instanceof Unreachable) {
      return `Could not check the web image on ${registry} (${error.message}); deploying anyway. If the ECS service never becomes stable, the pinned image is the first suspect.`;
    }
    if (error instanceof SyntaxError) return `Could not check the web image on ${registry} (it answered something that is not JSON); deploying anyway.`;
    throw error;
  }
}

/** The lab's preconditions: the pinned web image exists with a linux/amd64 manifest. */
export async function preflight(ctx: PreflightContext, options: RegistryOptions = {}): Promise<PreflightResult> {
  ctx.log(`Checking the pinned web image on ECR Public: ${WEB_IMAGE}`);
  const warning = await checkPinnedImage(WEB_IMAGE, options);
  return { notes: [warning ? `Warning: ${warning}` : `Web image found on ECR Public with a linux/amd64 manifest.`] };
}
