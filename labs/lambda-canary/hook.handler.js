'use strict';
// The pre-traffic hook of lab lambda-canary (AppSpec Hooks: BeforeAllowTraffic). CodeDeploy invokes it with the
// deployment id and the hook execution id; it reads the deployment's AppSpec for the version about to take traffic,
// invokes that version with a smoke request, and reports Succeeded or Failed to CodeDeploy. A hook that never
// reports leaves the deployment waiting until CodeDeploy gives up on it (an hour).
const { CodeDeployClient, GetDeploymentCommand, PutLifecycleEventHookExecutionStatusCommand } = require('@aws-sdk/client-codedeploy');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');

/** The TargetVersion an AppSpec names, in JSON or YAML, or undefined. */
exports.targetVersion = (appSpec) => {
  const match = /["']?TargetVersion["']?\s*:\s*["']?(\d+)/.exec(appSpec || '');
  return match ? match[1] : undefined;
};

/** Smoke-tests the deployment's target version; resolves to Succeeded or Failed with the reason. */
exports.smokeTest = async (codedeploy, lambda, functionName, deploymentId) => {
  const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo || {};
  const revision = info.revision || {};
  const appSpec = (revision.appSpecContent || revision.string || {}).content;
  const version = exports.targetVersion(appSpec);
  if (!version) return { status: 'Failed', reason: `no TargetVersion in the AppSpec of ${deploymentId} (revision type ${revision.revisionType})` };
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Qualifier: version, Payload: Buffer.from(JSON.stringify({ smoke: true })) }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString() : '';
  if (out.FunctionError) return { status: 'Failed', reason: `version ${version} failed the smoke request: ${text}` };
  let answer = {};
  try {
    answer = JSON.parse(text);
  } catch {
    return { status: 'Failed', reason: `version ${version} answered the smoke request with no JSON: ${text}` };
  }
  if (!answer || answer.ok !== true) return { status: 'Failed', reason: `version ${version} answered the smoke request without ok: ${text}` };
  return { status: 'Succeeded', reason: `version ${version} answered the smoke request: ${text}` };
};

/** Runs the smoke test and always reports to CodeDeploy, Failed when anything went wrong. */
exports.run = async (event, codedeploy, lambda, functionName, log) => {
  let result;
  try {
    result = await exports.smokeTest(codedeploy, lambda, functionName, event.DeploymentId);
  } catch (e) {
    result = { status: 'Failed', reason: `smoke test error: ${e.name}: ${e.message}` };
  }
  log(`${event.DeploymentId}: ${result.status}: ${result.reason}`);
  await codedeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status: result.status,
    }),
  );
  return result;
};

exports.handler = async (event) => exports.run(event, new CodeDeployClient({}), new LambdaClient({}), process.env.FUNCTION_NAME, console.log);
