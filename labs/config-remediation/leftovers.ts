import {
  ConfigServiceClient,
  DescribeConfigRulesCommand,
  DescribeConfigurationRecordersCommand,
  DescribeDeliveryChannelsCommand,
  DescribeRemediationConfigurationsCommand,
} from '@aws-sdk/client-config-service';
import { IAMClient, ListRolesCommand, ListRoleTagsCommand, type Role } from '@aws-sdk/client-iam';
import { LAB_TAG_KEY } from '../../lib/contract';
import type { Leftover, LeftoverContext } from '../../lib/lab';
import { remainingBuckets } from '../../lib/lifecycle/bucket-leftovers';
import { allPages } from '../../lib/sdk-facts';
import { CONFIG_RULE_NAME, DELIVERY_CHANNEL_NAME, LAB_ID, LEARNER_RULE_PREFIX, Outputs, RECORDER_NAME, REMEDIATION } from './contract';

/** DescribeRemediationConfigurations takes at most 25 rule names. */
const RULES_PER_CALL = 25;

/**
 * What the tag audit cannot see, or what the in-stack cleanup should have removed: the lab's own recorder
 * and delivery channel (named after the lab; the account's own are never touched), the lab rule and the
 * learner's `doplab-config-remediation-*` rules with their remediation configurations, automation roles
 * tagged for the lab (the tagging API does not list IAM roles), and the lab buckets, if still there.
 */
export async function leftovers(ctx: LeftoverContext): Promise<Leftover[]> {
  const cfg = ctx.client(ConfigServiceClient);
  const found: Leftover[] = [];
  for (const r of (await cfg.send(new DescribeConfigurationRecordersCommand({}))).ConfigurationRecorders ?? []) {
    if (r.name === RECORDER_NAME) found.push({ resource: r.arn ?? r.name, region: ctx.region, reason: "the lab's configuration recorder" });
  }
  for (const c of (await cfg.send(new DescribeDeliveryChannelsCommand({}))).DeliveryChannels ?? []) {
    if (c.name === DELIVERY_CHANNEL_NAME) found.push({ resource: c.name, region: ctx.region, reason: "the lab's delivery channel" });
  }
  const rules = await labRules(cfg);
  for (const rule of rules) found.push({ resource: rule.arn, region: ctx.region, reason: `AWS Config rule ${rule.name} (the lab's, or learner-made ${LEARNER_RULE_PREFIX}*)` });
  const automationRoles = new Set<string>();
  for (let i = 0; i < rules.length; i += RULES_PER_CALL) {
    const names = rules.slice(i, i + RULES_PER_CALL).map((r) => r.name);
    for (const rc of (await cfg.send(new DescribeRemediationConfigurationsCommand({ ConfigRuleNames: names }))).RemediationConfigurations ?? []) {
      found.push({ resource: rc.Arn ?? `${rc.ConfigRuleName}/${rc.TargetId}`, region: ctx.region, reason: `remediation configuration of rule ${rc.ConfigRuleName}` });
      const roleArn = rc.Parameters?.[REMEDIATION.roleParameter]?.StaticValue?.Values?.[0];
      if (roleArn) automationRoles.add(roleArn.split('/').pop() ?? roleArn);
    }
  }
  found.push(...(await labAutomationRoles(ctx, automationRoles)));
  found.push(...(await remainingBuckets(ctx, (ctx.stack?.outputs[Outputs.targetBucketNames] ?? '').split(','))));
  return found;
}

async function labRules(cfg: ConfigServiceClient): Promise<{ readonly name: string; readonly arn: string }[]> {
  const all = await allPages(async (NextToken) => {
    const page = await cfg.send(new DescribeConfigRulesCommand({ NextToken }));
    return { items: page.ConfigRules, next: page.NextToken };
  });
  const rules = [];
  for (const r of all) {
    const name = r.ConfigRuleName ?? '';
    if (name === CONFIG_RULE_NAME || name.startsWith(LEARNER_RULE_PREFIX)) rules.push({ name, arn: r.ConfigRuleArn ?? name });
  }
  return rules;
}

function trustsSsm(role: Role): boolean {
  // ListRoles returns the trust policy URL-encoded.
  return decodeURIComponent(role.AssumeRolePolicyDocument ?? '').includes(REMEDIATION.servicePrincipal);
}

/**
 * Roles tagged doplab:lab=config-remediation that SSM Automation can assume, or that a leftover remediation
 * names. GetResources does not list IAM roles and ListRoles returns no tags, so each candidate's tags are read.
 */
async function labAutomationRoles(ctx: LeftoverContext, named: ReadonlySet<string>): Promise<Leftover[]> {
  const iam = ctx.client(IAMClient);
  const roles = await allPages(async (Marker) => {
    const page = await iam.send(new ListRolesCommand({ Marker }));
    return { items: page.Roles, next: page.IsTruncated ? page.Marker : undefined };
  });
  const candidates = roles.filter((role) => named.has(role.RoleName ?? '') || trustsSsm(role));
  const found: Leftover[] = [];
  for (const role of candidates) {
    const tags = (await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName }))).Tags ?? [];
    if (tags.some((t) => t.Key === LAB_TAG_KEY && t.Value === LAB_ID)) {
      found.push({ resource: role.Arn ?? role.RoleName ?? '?', region: 'global', reason: `automation role tagged ${LAB_TAG_KEY}=${LAB_ID} (IAM roles are not in the tagging API)` });
    }
  }
  return found;
}

