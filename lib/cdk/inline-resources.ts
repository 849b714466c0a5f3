import { CustomResource, Duration, Lazy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CLEANUP_RESOURCE_TYPE, customResourcesSource, INLINE_CODE_LIMIT, InlineFunction, type InlineCleanupProps } from './inline-cleanup';

const ID = 'DopLabResources';

/** How long the shared function may run: what a cleanup needs; creating a resource takes seconds. */
const TIMEOUT = Duration.minutes(5);

/**
 * One inline function per stack that serves doplab's own custom resource types (a seeded source zip, a SecureString
 * parameter…) and, if the lab wants, its in-stack cleanup: one runtime, role and log group for all of them, so a
 * lab's template stays under the size it can deploy without bootstrap. Constructs register their handler file and
 * the statements it needs (the one role gets them all: keep them within the lab's own resources).
 */
export class InlineResources extends Construct {
  /** The stack's provider, created on first use. */
  static of(scope: Construct, labId: string): InlineResources {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(ID) as InlineResources | undefined) ?? new InlineResources(stack, ID, labId);
  }

  readonly handler: InlineFunction;
  private readonly handlers = new Map<string, string>();
  private cleanupFile?: string;

  private constructor(scope: Construct, id: string, labId: string) {
    super(scope, id);
    this.handler = new InlineFunction(this, 'Handler', {
      labId,
      name: 'resources',
      source: Lazy.string({ produce: () => this.source() }),
      description: `doplab lab ${labId}: creates the lab's own custom resources; removes what the learner made first on delete.`,
      timeout: TIMEOUT,
    });
  }

  /** Serves `resourceType` with `handlerFile` (exports.onEvent), allowed `statements`; returns the service token. */
  register(resourceType: string, handlerFile: string, statements: readonly iam.PolicyStatement[]): string {
    const known = this.handlers.get(resourceType);
    if (known !== undefined && known !== handlerFile) throw new Error(`${this.node.path} serves ${resourceType} with ${known} already.`);
    this.handlers.set(resourceType, handlerFile);
    this.handler.policy.addStatements(...statements);
    return this.handler.function.functionArn;
  }

  /** Serves the lab's cleanup (exports.onDelete), allowed `statements`; returns the service token. */
  registerCleanup(handlerFile: string, statements: readonly iam.PolicyStatement[]): string {
    if (this.cleanupFile !== undefined) throw new Error(`${this.node.path} serves a cleanup (${this.cleanupFile}) already.`);
    this.cleanupFile = handlerFile;
    this.handler.policy.addStatements(...statements);
    return this.handler.function.functionArn;
  }

  private source(): string {
    const source = customResourcesSource(this.handlers, this.cleanupFile);
    if (source.length > INLINE_CODE_LIMIT) {
      throw new Error(`Inline code of ${this.handler.node.path} is ${source.length} characters; doplab's limit is ${INLINE_CODE_LIMIT}.`);
    }
    return source;
  }
}

/** Properties of a SharedInlineCleanup: an InlineCleanup's, but its timeout is the shared function's (5 minutes). */
export type SharedInlineCleanupProps = Omit<InlineCleanupProps, 'timeout'>;

/**
 * The lab's in-stack cleanup (DESIGN §7), as InlineCleanup makes it, but served by the stack's InlineResources
 * function instead of a function of its own: for a lab whose template is near its size limit.
 */
export class SharedInlineCleanup extends Construct {
  readonly resource: CustomResource;
  readonly handler: InlineFunction;

  constructor(scope: Construct, id: string, props: SharedInlineCleanupProps) {
    super(scope, id);
    for (const key of Object.keys(props.properties)) {
      if (key === 'ServiceToken' || key === 'ServiceTimeout') {
        throw new Error(`Cleanup property ${key} of ${this.node.path} is reserved by CloudFormation.`);
      }
    }
    const provider = InlineResources.of(this, props.labId);
    this.handler = provider.handler;
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.registerCleanup(props.handlerFile, props.statements),
      resourceType: CLEANUP_RESOURCE_TYPE,
      properties: props.properties,
      serviceTimeout: Duration.seconds(TIMEOUT.toSeconds() * 3 + 60),
    });
    this.resource.node.addDependency(...props.guards);
  }
}
