'use strict';
// Custom resource behind SeededSource (lib/cdk/seeded-source.ts): writes a stored (uncompressed) zip of the files it is
// given to S3, so a lab can seed a pipeline's source without assets. Inlined at synth after lib/cdk/cleanup-runtime.js:
// no multi-line strings, no comments at line ends that hold quotes.
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
const { crc32 } = require('node:zlib');

// A zip of [{ name, content }] with every entry STORED (method 0), UTF-8 names, mode 0644, dated 1980-01-01 (MS-DOS
// time zero) so the same files always make the same bytes. Format: PKWARE APPNOTE.TXT 4.3 (local headers, data,
// central directory, end of central directory); no zip64, so at most 65,535 entries of under 4 GiB.
exports.storedZip = (files) => {
  const parts = [];
  const directory = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const data = Buffer.from(file.content, 'utf8');
    // Version 2.0, flags: UTF-8 names (bit 11), method 0 (stored), time 0, date 0x21 (1980-01-01), CRC-32, sizes.
    const common = [[2, 20], [2, 0x0800], [2, 0], [2, 0], [2, 0x21], [4, crc32(data)], [4, data.length], [4, data.length], [2, name.length], [2, 0]];
    parts.push(fields([[4, 0x04034b50], ...common]), name, data);
    // Made by Unix (3) spec 2.0, no comment, disk 0, internal attributes 0, external: mode 0644, local header offset.
    directory.push(fields([[4, 0x02014b50], [2, 0x0314], ...common, [2, 0], [2, 0], [2, 0], [4, (0o100644 << 16) >>> 0], [4, offset]]), name);
    offset += 30 + name.length + data.length;
  }
  const central = Buffer.concat(directory);
  const end = fields([[4, 0x06054b50], [2, 0], [2, 0], [2, files.length], [2, files.length], [4, central.length], [4, offset], [2, 0]]);
  return Buffer.concat([...parts, central, end]);
};

// Little-endian fields: [[size in bytes (2 or 4), value], ...].
function fields(spec) {
  const out = Buffer.alloc(spec.reduce((n, [size]) => n + size, 0));
  let at = 0;
  for (const [size, value] of spec) at = size === 2 ? out.writeUInt16LE(value, at) : out.writeUInt32LE(value, at);
  return out;
}

// Create and Update write props.Key in props.Bucket from props.Files (JSON of { path: content }); Delete leaves the
// object to whoever empties the bucket (its versions are the learner's history too).
exports.onEvent = async (event, s3 = new S3Client({})) => {
  const props = event.ResourceProperties;
  const id = `s3://${props.Bucket}/${props.Key}`;
  if (event.RequestType === 'Delete') return { id: event.PhysicalResourceId };
  const files = Object.entries(JSON.parse(props.Files)).map(([name, content]) => ({ name, content }));
  const out = await s3.send(new PutObjectCommand({ Bucket: props.Bucket, Key: props.Key, Body: exports.storedZip(files), ContentType: 'application/zip' }));
  console.log(`wrote ${id} (${files.length} files), version ${out.VersionId}`);
  return { id, data: { VersionId: out.VersionId || 'null' } };
};
