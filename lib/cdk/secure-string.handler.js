'use strict';
// Custom resource behind SecureStringParameter (lib/cdk/secure-string-parameter.ts): CloudFormation cannot create
// SecureString parameters. Create puts a random value (props.Prefix and 40 hex digits) under the default aws/ssm key;
// Update keeps the value unless the name changed; Delete deletes it. Inlined after lib/cdk/cleanup-runtime.js.
const { SSMClient, PutParameterCommand, DeleteParameterCommand } = require('@aws-sdk/client-ssm');
const { randomBytes } = require('node:crypto');

exports.onEvent = async (event, ssm = new SSMClient({})) => {
  const props = event.ResourceProperties;
  const name = props.Name;
  if (event.RequestType === 'Delete') {
    // A physical id that is no parameter name: the Create failed before one existed.
    if (!String(event.PhysicalResourceId).startsWith('/')) return { id: event.PhysicalResourceId };
    try {
      await ssm.send(new DeleteParameterCommand({ Name: event.PhysicalResourceId }));
      console.log(`deleted ${event.PhysicalResourceId}`);
    } catch (e) {
      if (e.name !== 'ParameterNotFound') throw e;
    }
    return { id: event.PhysicalResourceId };
  }
  if (event.RequestType === 'Update' && event.PhysicalResourceId === name) return { id: name };
  const value = `${props.Prefix || ''}${randomBytes(20).toString('hex')}`;
  const tags = JSON.parse(props.Tags || '{}');
  const put = { Name: name, Type: 'SecureString', Value: value, Description: props.Description };
  try {
    await ssm.send(new PutParameterCommand({ ...put, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  } catch (e) {
    // Left over from an earlier deploy: take it over (tags cannot be sent with Overwrite).
    if (e.name !== 'ParameterAlreadyExists') throw e;
    await ssm.send(new PutParameterCommand({ ...put, Overwrite: true }));
  }
  console.log(`put SecureString ${name}`);
  return { id: name };
};
