// EventBridge's input transformer, evaluated offline: what a target with InputPathsMap and InputTemplate receives for
// an event. Pure code (no SDK, no CDK), used by the checker; its tests hold it to the examples AWS documents.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html

/** An input transformer as PutTargets takes it and ListTargetsByRule returns it. */
export interface InputTransformerConfig {
  readonly InputPathsMap?: Readonly<Record<string, string>>;
  readonly InputTemplate?: string;
}

/** What the target receives, or why it cannot be worked out. */
export type TransformResult =
  | {
      readonly ok: true;
      /** The text the target receives; for a quoted template, the string's content (SNS delivers it as the message). */
      readonly output: string;
      /** `text`: a plain template; `string`: a template that is one JSON string; `json`: an object or array template. */
      readonly kind: 'text' | 'string' | 'json';
    }
  | { readonly ok: false; readonly error: string };

/** Variables EventBridge defines itself (reserved names). */
export interface PredefinedVariables {
  readonly ruleArn: string;
  readonly ruleName: string;
}

const MISSING = Symbol('missing');

/**
 * The value at a JSON path of the syntax EventBridge supports: `$`, dot notation (names with dashes and underscores) and
 * array indices, e.g. `$.detail.items[0].sku`. MISSING when the event has nothing there.
 */
export function readPath(event: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`JSON path ${path} must start with $`);
  const segments: (string | number)[] = [];
  const syntax = /\.([A-Za-z0-9_\-/]+)|\[(\d+)\]/y;
  let at = 1;
  while (at < path.length) {
    syntax.lastIndex = at;
    const m = syntax.exec(path);
    if (!m) throw new Error(`JSON path ${path} uses syntax EventBridge does not support (at "${path.slice(at)}")`);
    segments.push(m[1] !== undefined ? m[1] : Number(m[2]));
    at = syntax.lastIndex;
  }
  let value: unknown = event;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return MISSING;
    const next = (value as Record<string | number, unknown>)[segment];
    if (next === undefined) return MISSING;
    value = next;
  }
  return value;
}

function kindOf(template: string): 'text' | 'string' | 'json' {
  const t = template.trim();
  if (t.startsWith('{') || t.startsWith('[')) return 'json';
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return 'string';
  return 'text';
}

/** The text that replaces a placeholder, inside a JSON string literal or not. */
function rendered(value: unknown, inString: boolean, kind: 'text' | 'string' | 'json'): string {
  if (value === MISSING) return '';
  if (typeof value === 'string') {
    if (inString) return JSON.stringify(value).slice(1, -1);
    return kind === 'json' ? JSON.stringify(value) : value;
  }
  return JSON.stringify(value);
}

/** Applies an input transformer to an event, as EventBridge does before it delivers to the target. */
export function applyInputTransformer(event: unknown, transformer: InputTransformerConfig, predefined?: PredefinedVariables): TransformResult {
  const template = transformer.InputTemplate;
  if (template === undefined || template === '') return { ok: false, error: 'the input transformer has no InputTemplate' };
  const values = new Map<string, unknown>();
  try {
    for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) values.set(name, readPath(event, path));
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  if (predefined) {
    values.set('aws.events.rule-arn', predefined.ruleArn);
    values.set('aws.events.rule-name', predefined.ruleName);
  }
  values.set('aws.events.event.json', event);
  const kind = kindOf(template);
  // Walk the template once, knowing whether each placeholder stands inside a JSON string literal.
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === '<') {
      const end = template.indexOf('>', i + 1);
      const name = end > i ? template.slice(i + 1, end) : '';
      if (values.has(name)) {
        out += rendered(values.get(name), kind === 'text' ? false : inString, kind);
        i = end;
        continue;
      }
    }
    if (kind !== 'text') {
      if (c === '\\' && inString) {
        out += c + (template[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === '"') inString = !inString;
    }
    out += c;
  }
  if (kind === 'string') {
    try {
      const parsed: unknown = JSON.parse(out.trim());
      if (typeof parsed === 'string') return { ok: true, output: parsed, kind };
    } catch {
      // fall through: not one JSON string after all
    }
    return { ok: false, error: `the quoted template does not form one JSON string: ${out}` };
  }
  return { ok: true, output: out, kind };
}
