// aws-cdk-lib's built-in CloudFormation validation costs ~2 s a synth; one test per lab turns it back on.
process.env.CDK_VALIDATION ??= 'false';
// No test may reach a real AWS endpoint or pick up the developer's profile by accident.
delete process.env.AWS_PROFILE;
delete process.env.AWS_ENDPOINT_URL;
