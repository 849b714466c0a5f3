// SDK helpers shared by checkers and leftover audits: plain TypeScript, no imports (never aws-cdk-lib or constructs).

/** An SDK shape with its top-level Date fields as ISO strings, so facts stay JSON. */
export type WithIsoDates<T> = { [K in keyof T]: NonNullable<T[K]> extends Date ? string | undefined : T[K] };

/** An SDK shape with its Date fields (at any depth) as ISO strings, so facts stay JSON. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T]: Jsonified<T[K]> }
      : T;

/** One page of a paginated read: its items and the token of the next page, if any. */
export interface Page<T> {
  readonly items: T[] | undefined;
  readonly next: string | undefined;
}

/** Options of allPages. */
export interface AllPagesOptions<T> {
  /** Ends the read early once it returns true for the items read so far. @default never */
  readonly stop?: (items: T[]) => boolean;
}

/** Follows a paginated read to its end; a repeated token ends it too, and `stop` ends it early. */
export async function allPages<T>(read: (token: string | undefined) => Promise<Page<T>>, options: AllPagesOptions<T> = {}): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await read(token);
    items.push(...(page.items ?? []));
    token = page.next;
    if (options.stop?.(items) || (token !== undefined && seen.has(token))) break;
    if (token !== undefined) seen.add(token);
  } while (token);
  return items;
}

/** Turns an SDK shape's top-level Dates into ISO strings, keeping every other field as it is. */
export function isoDates<T extends object>(item: T): WithIsoDates<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) out[key] = value instanceof Date ? value.toISOString() : value;
  return out as WithIsoDates<T>;
}

/** Turns an SDK response into JSON data: Dates at any depth become ISO strings, undefined fields go. */
export function jsonified<T>(value: T): Jsonified<T> {
  return JSON.parse(JSON.stringify(value)) as Jsonified<T>;
}

/** Orders by code point: the same on every machine, unlike localeCompare; undefined sorts as ''. */
export function byName(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The ARN partition of a region: aws-cn for China, aws-us-gov for GovCloud, aws elsewhere. */
export function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}
