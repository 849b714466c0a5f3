import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { isReadOnlyAction } from '../../../lib/aws/clients';
import { checkerActions, gatherFacts } from '../../../lib/engine';
import { assumeLearnerRole } from '../../../lib/grade/credentials';
import { GRADER_CONTEXT, graderActions, graderPermissions, graderRoleTemplate, graderTrust, ONE_REGION_RULE, validateGraderInputs } from '../../../lib/grade/grader-role';
import { TemplateResolver, type Template as ProofTemplate } from '../../../lib/policy/intrinsics';
import { proofEnv } from '../../../lib/policy/proof';
import { GraderRoleStack } from '../../../lib/grade/grader-role-stack';
import type { AnyLab } from '../../../lib/registry';
import { LABS } from '../../../labs';
import { FACTS, SimulatedClass, SimulatedSession } from '../../support/simulated-class';

const INSTRUCTOR = '999988887777';
const EXTERNAL_ID = 'dop-class-2026';
const ROOT = join(__dirname, '..', '..', '..');

/** Labs whose gather the simulated account can answer from their solved facts. */
const REPLAYS: Readonly<Record<string, string>> = { 'cloudwatch-metric-filters': FACTS.solved };

/** The IAM actions a lab's gather really sends on its solved state, reading the lab stack included. */
async function actionsSent(lab: AnyLab, solvedFacts: string): Promise<string[]> {
  const cls = new SimulatedClass([{ accountId: '111122223333', roleName: 'DopLabGrader', facts: solvedFacts }]);
  const entry = { learner: 'alice', accountId: '111122223333', roleArn: 'arn:aws:iam::111122223333:role/DopLabGrader', region: 'eu-west-1', line: 2 };
  const role = await assumeLearnerRole(cls.instructorSession(), entry);
  const session = cls.newSession({ region: 'eu-west-1', credentials: role.credentials });
  const sent = new Set<string>();
  await gatherFacts(lab.checker, session, { identity: { account: entry.accountId, arn: role.arn, region: entry.region }, listener: (a) => sent.add(a) });
  session.destroy();
  return [...sent].sort();
}

describe('grader role', () => {
  it.each(LABS.filter((lab) => REPLAYS[lab.id]).map((lab) => [lab.id, lab] as const))('holds exactly what %s sends on its solved state', async (_id, lab) => {
    const sent = await actionsSent(lab, REPLAYS[lab.id]);
    expect(graderActions([lab])).toEqual(sent);
  });

  it.each(LABS.map((lab) => [lab.id, lab] as const))('sends nothing %s does not declare, even when every read comes back empty', async (_id, lab) => {
    // Generic over every lab: the stack answers with the outputs of the lab's shipped solved example, every other read with {}.
    const outputs = (JSON.parse(readFileSync(lab.examples.solved, 'utf8')) as { stack: { outputs: Record<string, string> } }).stack.outputs;
    const session = new SimulatedSession({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' }, maxAttempts: 1 }, async (call) =>
      call.commandName === 'DescribeStacks'
        ? { Stacks: [{ StackName: `DopLab-${lab.id}`, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] }
        : {},
    );
    const sent = new Set<string>();
    await gatherFacts(lab.checker, session, { identity: { account: '111122223333', arn: 'arn:aws:sts::111122223333:assumed-role/DopLabGrader/x', region: 'eu-west-1' }, listener: (a) => sent.add(a) });
    session.destroy();
    expect(sent.size).toBeGreaterThan(1);
    for (const action of sent) expect(graderActions([lab])).toContain(action);
  });

  it('holds exactly the union of every selected checker’s declared actions, all read-only', () => {
    const union = [...new Set(LABS.flatMap((lab) => checkerActions(lab.checker)))].sort();
    expect(graderActions(LABS)).toEqual(union);
    expect(union.every(isReadOnlyAction)).toBe(true);
    expect(union.some((a) => a.includes('*'))).toBe(false);
  });

  it('unites the actions of several labs without duplicates', () => {
    const lab = (id: string, actions: string[]) => ({ id, checker: { actions } }) as unknown as AnyLab;
    expect(graderActions([lab('a', ['logs:DescribeLogGroups', 'cloudwatch:DescribeAlarms']), lab('b', ['logs:DescribeLogGroups', 'ssm:GetParameter'])])).toEqual([
      'cloudformation:DescribeStacks',
      'cloudwatch:DescribeAlarms',
      'logs:DescribeLogGroups',
      'ssm:GetParameter',
    ]);
  });

  it('trusts only the instructor account, and only with the external id', () => {
    expect(graderTrust(INSTRUCTOR, EXTERNAL_ID)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${INSTRUCTOR}:root` },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
        },
      ],
    });
  });

  it('refuses a bad instructor account, external id or role name', () => {
    expect(() => validateGraderInputs('123', EXTERNAL_ID, 'DopLabGrader')).toThrow('--instructor-account must be your 12-digit AWS account id');
    expect(() => validateGraderInputs(INSTRUCTOR, 'x', 'DopLabGrader')).toThrow('--external-id must be 2 to 1224 characters');
    expect(() => validateGraderInputs(INSTRUCTOR, EXTERNAL_ID, 'bad name')).toThrow('--role-name "bad name" is not an IAM role name');
  });

  it('is a plain CloudFormation template with the account and external id as parameters (for a service-managed StackSet)', () => {
    const template = graderRoleTemplate(LABS);
    expect(template.Parameters.InstructorAccountId).not.toHaveProperty('Default');
    expect(template.Parameters.ExternalId).toMatchObject({ NoEcho: true });
    expect(template.Resources.GraderRole.Properties.Policies).toEqual([{ PolicyName: 'DopLabCheckersReadOnly', PolicyDocument: graderPermissions(LABS) }]);
    expect(template.Resources.GraderRole.Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${InstructorAccountId}:root' } },
      Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
    });
    // No CDK metadata, assets or bootstrap parameters: deployable as is by a StackSet.
    expect(JSON.stringify(template)).not.toMatch(/BootstrapVersion|CDKMetadata|AssetParameters/);
  });

  it('keeps a StackSet to one region: the fixed role name would fail in a second one, so a rule refuses it, saying why (issue 10, defect 8)', () => {
    const template = graderRoleTemplate(LABS, { region: 'eu-west-1' });
    expect(template.Resources.GraderRole.Properties.RoleName).toEqual({ Ref: 'RoleName' });
    expect(template.Parameters.RoleRegion).toMatchObject({ Default: 'eu-west-1' });
    expect(graderRoleTemplate(LABS).Parameters.RoleRegion).not.toHaveProperty('Default');
    const [assertion] = template.Rules[ONE_REGION_RULE].Assertions;
    expect(assertion.AssertDescription).toContain('target exactly one region');
    // The rule, evaluated as CloudFormation does in each region a StackSet instance is created in.
    const passes = (region: string) =>
      new TemplateResolver({ ...(template as unknown as ProofTemplate), Conditions: { Rule: assertion.Assert } }, { ...proofEnv('StackSet-grader'), region }).resolve({ 'Fn::If': ['Rule', true, false] });
    expect(passes('eu-west-1')).toBe(true);
    expect(passes('us-east-1')).toBe(false);
  });

  it('is the same role as a CDK stack, cdk-nag clean with a reasoned acknowledgement', () => {
    const app = new App();
    const stack = new GraderRoleStack(app, LABS, { instructorAccount: INSTRUCTOR, externalId: EXTERNAL_ID });
    const synthesized = Template.fromStack(stack).toJSON();
    const plain = graderRoleTemplate(LABS, { instructorAccount: INSTRUCTOR, externalId: EXTERNAL_ID });
    const { Tags: plainTags, ...plainProps } = plain.Resources.GraderRole.Properties;
    const { Tags: tags, ...props } = synthesized.Resources.GraderRole.Properties;
    expect(props).toEqual(plainProps);
    expect(tags).toEqual(plainTags);
    expect(Object.keys(synthesized.Parameters).sort()).toEqual(['ExternalId', 'InstructorAccountId', 'RoleName']);
    expect(synthesized.Parameters.InstructorAccountId.Default).toBe(INSTRUCTOR);
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
  });

  it('passes aws-cdk-lib’s built-in CloudFormation validation (the plain template is the same role)', () => {
    const saved = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    const outdir = mkdtempSync(join(tmpdir(), 'doplab-grader-validate-'));
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // Without this flag aws-cdk-lib downgrades errors to warnings, prints them on stderr, and synth succeeds.
      const app = new App({ outdir, builtinCloudFormationValidation: true, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
      new GraderRoleStack(app, LABS, { instructorAccount: INSTRUCTOR, externalId: EXTERNAL_ID });
      const assembly = app.synth();
      const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as { pluginReports: { violations: unknown[] }[] };
      expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
      expect(stderr).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
      if (saved === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = saved;
    }
  });

  it('is in the CDK app only when the doplab:grader context asks for it', () => {
    const synth = (context: Record<string, string>) => {
      const outdir = mkdtempSync(join(tmpdir(), 'doplab-grader-app-'));
      const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bin', 'app.ts')], {
        cwd: ROOT,
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(run.stderr).not.toMatch(/Error/);
      return JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')).artifacts as Record<string, unknown>;
    };
    expect(Object.keys(synth({}))).not.toContain('DopLab-GraderRole');
    const withRole = synth({ [GRADER_CONTEXT.instructorAccount]: INSTRUCTOR, [GRADER_CONTEXT.externalId]: EXTERNAL_ID });
    expect(Object.keys(withRole)).toContain('DopLab-GraderRole');
  });
});
