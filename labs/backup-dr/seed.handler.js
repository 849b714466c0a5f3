'use strict';
// Custom resource Custom::DopLabSeedTable of lab backup-dr: on Create, writes props.Count order items into props.TableName
// (BatchWriteItem, 25 at a time, retrying unprocessed items), so that the restore drill has data to count. Update and
// Delete do nothing: the items go with the table. Inlined into the stack's InlineResources function.
const { DynamoDBClient, BatchWriteItemCommand } = require('@aws-sdk/client-dynamodb');

/** Item i of the seed: the same on every deploy, so a restore can be compared item for item. */
exports.item = (i) => ({
  orderId: { S: `order-${String(i).padStart(4, '0')}` },
  customer: { S: `customer-${i % 37}` },
  amountCents: { N: String(1000 + ((i * 7919) % 90000)) },
  status: { S: ['PLACED', 'PAID', 'SHIPPED', 'DELIVERED'][i % 4] },
});

exports.onEvent = async (event, ddb = new DynamoDBClient({}), pauseMs = 200) => {
  const { TableName, Count } = event.ResourceProperties;
  const id = `${TableName}/seed`;
  if (event.RequestType !== 'Create') return { id: event.PhysicalResourceId || id };
  const items = Array.from({ length: Number(Count) }, (_, i) => exports.item(i + 1));
  for (let start = 0; start < items.length; start += 25) {
    let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`${requests.length} items of ${TableName} stayed unprocessed`);
      const out = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: requests } }));
      requests = (out.UnprocessedItems && out.UnprocessedItems[TableName]) || [];
      if (requests.length > 0) await new Promise((r) => setTimeout(r, pauseMs * attempt));
    }
  }
  console.log(`seeded ${items.length} items into ${TableName}`);
  return { id };
};
