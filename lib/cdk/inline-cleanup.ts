import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';

/**
 * Most characters of inline Lambda code one function may use. CloudFormation's ZipFile limit of 4096 was
 * removed in 2022 (aws-cdk #20624); what binds is the 51,200-byte template body a lab deploys without
 * bootstrap (tests assert it), so a function may use up to 12 KB and a lab still fits a few of them.
 */
export const INLINE_CODE_LIMIT = 12_288;

/** Lambda's limit on the total size of a function's environment variables, in bytes. */
const ENVIRONMENT_LIMIT = 4096;

/** The runtime of doplab's inline functions: the newest Node.js aws-cdk-lib offers (cdk-nag AwsSolutions-L1); it ships SDK v3. */
export const INLINE_RUNTIME = lambda.Runtime.NODEJS_24_X;

const RUNTIME_FILE = join(__dirname, 'cleanup-runtime.js');
const RESOURCE_RUNTIME_FILE = join(__dirname, 'resource-runtime.js');

/** The custom resource type of in-stack cleanups. */
export const CLEANUP_RESOURCE_TYPE = 'Custom::DopLabCleanup';

/** Shrinks JavaScript for inlining: drops blank lines, full-line comments and indentation (no multi-line literals!). */
export function compactSource(source: string): string {
  return source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//') && !/^\/\*.*\*\/$/.test(line))
    .join('\n');
}

const HELPERS_FILE = join(__dirname, 'cleanup-helpers.js');

/** How a handler file takes shared helpers (it runs as is in tests): `const { attempts } = require('../../lib/cdk/cleanup-helpers.js');`. */
const HELPERS_REQUIRE = /^const \{([^}]*)\} = require\('\.\.\/\.\.\/lib\/cdk\/cleanup-helpers\.js'\);$/m;

/**
 * A handler's source with its require of cleanup-helpers.js replaced by the helpers it names, and the SDK names those
 * use: a lab pays inline bytes only for the helpers it uses.
 */
export function withHelpers(handler: string): string {
  const wanted = HELPERS_REQUIRE.exec(handler);
  if (!wanted) return handler;
  const helpers = readFileSync(HELPERS_FILE, 'utf8');
  const functions = wanted[1].split(',').map((name) => {
    const found = new RegExp(`^(?:async )?function ${name.trim()}\\(.*?^\\}$`, 'ms').exec(helpers);
    if (!found) throw new Error(`cleanup-helpers.js has no function ${name.trim()}`);
    return found[0];
  });
  const body = functions.join('\n');
  let source = handler;
  const ownLines: string[] = [];
  // Each SDK require of the helpers file, cut to the names the chosen functions use: merged into the handler's own
  // require of that package if it has one (a line less), else a line of its own before the helpers.
  for (const [, names, from] of helpers.matchAll(/^const \{([^}]*)\} = (require\('@aws-sdk\/[\w-]+'\));$/gm)) {
    const used = names.split(',').map((n) => n.trim()).filter((n) => new RegExp(`\\b${n}\\b`).test(body));
    if (used.length === 0) continue;
    const own = new RegExp(`^const \\{([^}]*)\\} = ${from.replace(/[()']/g, '\\$&')};$`, 'm');
    if (own.test(source)) source = source.replace(own, (_line, mine: string) => `const { ${[...mine.split(',').map((n) => n.trim()).filter(Boolean), ...used].join(', ')} } = ${from};`);
    else ownLines.push(`const { ${used.join(', ')} } = ${from};`);
  }
  return source.replace(HELPERS_REQUIRE, () => [...ownLines, body].join('\n'));
}

/** The inline source of a plain CommonJS handler file. */
export function inlineSource(file: string): string {
  return compactSource(readFileSync(file, 'utf8'));
}

/** The inline source of a cleanup function: the shared runtime, then the lab's handler wrapped as a module. */
export function cleanupSource(handlerFile: string): string {
  const handler = readFileSync(handlerFile, 'utf8');
  if (!/^exports\.onDelete\s*=/m.test(handler)) {
    throw new Error(`Cleanup handler ${handlerFile} must export onDelete(props, log) as "exports.onDelete = ...".`);
  }
  return [
    inlineSource(RUNTIME_FILE),
    // The lab's file gets its own module scope, so its names cannot clash with the runtime's.
    'const lab={exports:{}};(function(module,exports){',
    // Already strict: the runtime's directive covers the whole file.
    compactSource(withHelpers(handler)).replace(/^'use strict';\n/, ''),
    '})(lab,lab.exports);',
    // onCreate is optional: only a handler that exports it records state at deploy.
    /^exports\.onCreate\s*=/m.test(handler)
      ? 'exports.handler=exports.createHandler(lab.exports.onDelete,undefined,lab.exports.onCreate);'
      : 'exports.handler=exports.createHandler(lab.exports.onDelete);',
  ].join('\n');
}

/** Wraps a handler file as a module of its own inside an inlined function: `<name>` holds its exports. */
function inlinedModule(file: string, exported: 'onEvent' | 'onDelete', name: string): string {
  const handler = readFileSync(file, 'utf8');
  if (!new RegExp(`^exports\\.${exported}\\s*=`, 'm').test(handler)) {
    throw new Error(`Handler ${file} must export ${exported} as "exports.${exported} = ...".`);
  }
  return [`const ${name}={exports:{}};(function(module,exports){`, compactSource(withHelpers(handler)).replace(/^'use strict';\n/, ''), `})(${name},${name}.exports);`].join('\n');
}

/**
 * The inline source of one function serving several kinds of custom resource: the shared runtime, then each handler
 * file (resource type → file), a CommonJS module with `exports.onEvent = async (event) => ({ id, data })` (a throw
 * answers FAILED), and optionally a cleanup handler (`exports.onDelete`, served as `Custom::DopLabCleanup` the way
 * InlineCleanup serves it). Requests go to the handler of their ResourceType.
 */
export function customResourcesSource(handlers: ReadonlyMap<string, string>, cleanupFile?: string): string {
  const lines = [inlineSource(RUNTIME_FILE), inlineSource(RESOURCE_RUNTIME_FILE).replace(/^'use strict';\n/, ''), 'const onEvent={};'];
  [...handlers].forEach(([resourceType, file], i) => {
    lines.push(inlinedModule(file, 'onEvent', `m${i}`), `onEvent[${JSON.stringify(resourceType)}]=m${i}.exports.onEvent;`);
  });
  if (cleanupFile) lines.push(inlinedModule(cleanupFile, 'onDelete', 'lab'), 'const cleanup=exports.createHandler(lab.exports.onDelete);');
  else lines.push('const cleanup=undefined;');
  lines.push(
    'const resources=exports.createResourceHandler((event)=>{const f=onEvent[event.ResourceType];if(!f)throw new Error(`no handler for ${event.ResourceType}`);return f(event);});',
    `exports.handler=async(event,context)=>(cleanup&&event.ResourceType===${JSON.stringify(CLEANUP_RESOURCE_TYPE)}?cleanup(event,context):resources(event));`,
  );
  return lines.join('\n');
}

/** Properties of an InlineFunction. */
export interface InlineFunctionProps {
  /** The lab the function belongs to. */
  readonly labId: string;
  /** Short name; the function's log group is `/doplab/<lab id>/lambda/<name>`. */
  readonly name: string;
  /** Node.js source defining `exports.handler` (see inlineSource). */
  readonly source: string;
  /** One sentence shown in the Lambda console. */
  readonly description: string;
  /** What the function may do besides writing its own logs. @default none */
  readonly statements?: iam.PolicyStatement[];
  /** @default none */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
}

/** A Lambda function with inline code, its own log group (deleted with the stack) and a role that writes only there. */
export class InlineFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  /** The role's inline policy; statements added later still go into it (it resolves at synth). */
  readonly policy: iam.PolicyDocument;

  constructor(scope: Construct, id: string, props: InlineFunctionProps) {
    super(scope, id);
    if (props.source.length > INLINE_CODE_LIMIT) {
      throw new Error(
        `Inline code of ${this.node.path} is ${props.source.length} characters; doplab's limit is ${INLINE_CODE_LIMIT}. ` +
          'Shorten the handler file.',
      );
    }
    const environmentBytes = Object.entries(props.environment ?? {}).reduce(
      (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
      0,
    );
    if (environmentBytes > ENVIRONMENT_LIMIT) {
      throw new Error(`Environment of ${this.node.path} is ${environmentBytes} bytes; Lambda allows ${ENVIRONMENT_LIMIT}.`);
    }
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/doplab/${props.labId}/lambda/${props.name}`,
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.policy = new iam.PolicyDocument({
      statements: [
        // No logs:CreateLogGroup: the function cannot re-create its log group after the stack deleted it.
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
        ...(props.statements ?? []),
      ],
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.name} function of doplab lab ${props.labId}`,
      inlinePolicies: { Function: this.policy },
    });
    this.function = new lambda.Function(this, 'Function', {
      runtime: INLINE_RUNTIME,
      handler: 'index.handler',
      code: lambda.Code.fromInline(props.source),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: 128,
      environment: props.environment,
    });
  }
}

/** Properties of an InlineCleanup. */
export interface InlineCleanupProps {
  /** The lab the cleanup belongs to. */
  readonly labId: string;
  /**
   * Absolute path of the lab's handler: a CommonJS module with `exports.onDelete = async (props, log) => ...`, and
   * optionally `exports.onCreate = async (props, log) => ...` (run on Create; a throw fails the deploy).
   */
  readonly handlerFile: string;
  /** What onDelete receives as `props` (the custom resource's properties). */
  readonly properties: Record<string, string>;
  /** What the cleanup may do. */
  readonly statements: iam.PolicyStatement[];
  /** Lab resources the cleanup runs before on stack delete (the custom resource depends on each). */
  readonly guards: IConstruct[];
  /** How long onDelete may take, plus the margin to respond. @default Duration.minutes(2) */
  readonly timeout?: Duration;
}

/**
 * Removes what a learner made, first thing on stack delete (DESIGN §7): a raw custom resource, backed by an inline
 * function, that depends on the resources it guards. No assets, unlike cr.Provider and AwsCustomResource.
 */
export class InlineCleanup extends Construct {
  readonly handler: InlineFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: InlineCleanupProps) {
    super(scope, id);
    for (const key of Object.keys(props.properties)) {
      if (key === 'ServiceToken' || key === 'ServiceTimeout') {
        throw new Error(`Cleanup property ${key} of ${this.node.path} is reserved by CloudFormation.`);
      }
    }
    const timeout = props.timeout ?? Duration.minutes(2);
    this.handler = new InlineFunction(this, 'Handler', {
      labId: props.labId,
      name: 'cleanup',
      source: cleanupSource(props.handlerFile),
      description: `Removes what the learner made in doplab lab ${props.labId} before the stack is deleted.`,
      statements: props.statements,
      timeout,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.handler.function.functionArn,
      resourceType: CLEANUP_RESOURCE_TYPE,
      properties: props.properties,
      // Stop CloudFormation waiting an hour if the function never answers (it answers itself; Lambda retries twice).
      serviceTimeout: Duration.seconds(Math.min(3600, timeout.toSeconds() * 3 + 60)),
    });
    this.resource.node.addDependency(...props.guards);
  }
}
