import { Aws, CfnCondition, CfnRule, Fn, Token, type Stack } from 'aws-cdk-lib';
import { DoplabError } from '../errors';
import { REGION_PATTERN } from '../second-region';

/**
 * The second region of a two-region lab stack: the CDK context value `contextKey` (checked, and asserted at deploy to
 * differ from the deploy region), or else a CloudFormation expression of the deploy region (the stack is
 * environment-agnostic: us-west-2 next to us-east-1, else us-east-1).
 */
export function chooseSecondRegion(stack: Stack, contextKey: string): string {
  const configured: unknown = stack.node.tryGetContext(contextKey);
  if (configured === undefined) {
    const inUsEast1 = new CfnCondition(stack, 'DeployedInUsEast1', { expression: Fn.conditionEquals(Aws.REGION, 'us-east-1') });
    return Token.asString(Fn.conditionIf(inUsEast1.logicalId, 'us-west-2', 'us-east-1'));
  }
  if (typeof configured !== 'string' || !REGION_PATTERN.test(configured)) {
    throw new DoplabError('BAD_OPTION', 'usage', `Context ${contextKey} is ${JSON.stringify(configured)}; expected a region name such as eu-west-1.`, {
      hint: `Pass -c ${contextKey}=<region>, a region enabled in the account other than the deploy region.`,
    });
  }
  new CfnRule(stack, 'SecondRegionDiffers', {
    assertions: [
      {
        assert: Fn.conditionNot(Fn.conditionEquals(Aws.REGION, configured)),
        assertDescription: `${contextKey} (${configured}) must differ from the region the lab is deployed to.`,
      },
    ],
  });
  return configured;
}
