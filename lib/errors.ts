/** Whose fault an error is: the learner's work, the environment (credentials, account, AWS), or doplab itself. */
export type ErrorSource = 'learner' | 'environment' | 'harness' | 'usage';

/** Stable error codes; scripts may match on them. */
export type ErrorCode =
  | 'UNKNOWN_LAB'
  | 'BAD_OPTION'
  | 'BAD_FACTS_FILE'
  | 'BAD_ROSTER'
  | 'NO_CREDENTIALS'
  | 'EXPIRED_CREDENTIALS'
  | 'NO_REGION'
  | 'ACCESS_DENIED'
  | 'THROTTLED'
  | 'TIMEOUT'
  | 'REGION_DISABLED'
  | 'LAB_NOT_DEPLOYED'
  | 'STACK_OUTPUT_MISSING'
  | 'NOT_FOUND'
  | 'AWS_ERROR'
  | 'DEPLOY_FAILED'
  | 'DESTROY_FAILED'
  | 'NOT_SANDBOX'
  | 'BAD_CONFIG'
  | 'NEEDS_BOOTSTRAP'
  | 'INTERRUPTED'
  | 'INTERNAL';

export interface DoplabErrorOptions {
  /** The original error. */
  readonly cause?: unknown;
  /** What to do next, in one sentence. */
  readonly hint?: string;
  /** The IAM action that was called, e.g. `logs:DescribeMetricFilters`. */
  readonly action?: string;
}

/** The one error type of the harness: says what, where, what was observed and what to do next. */
export class DoplabError extends Error {
  readonly hint?: string;
  readonly action?: string;

  constructor(
    readonly code: ErrorCode,
    readonly source: ErrorSource,
    message: string,
    options: DoplabErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DoplabError';
    this.hint = options.hint;
    this.action = options.action;
  }
}

/** Exit codes of the CLI (DESIGN §9). */
export const ExitCode = {
  OK: 0,
  CHECKS_FAILED: 1,
  USAGE: 2,
  ENVIRONMENT: 3,
  INTERNAL: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code an error ends the CLI with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!(error instanceof DoplabError)) return ExitCode.INTERNAL;
  switch (error.source) {
    case 'usage':
      return ExitCode.USAGE;
    case 'environment':
    case 'learner':
      return ExitCode.ENVIRONMENT;
    case 'harness':
      return ExitCode.INTERNAL;
  }
}

/** A plain, JSON-serialisable description of an error, for facts files and results. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  readonly action?: string;
  readonly hint?: string;
}

export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof DoplabError) {
    return { code: error.code, message: error.message, action: error.action, hint: error.hint };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
