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
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const data = Buffer.from(file.content, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(0, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    // Made by: Unix (3), spec 2.0, so unzip reads the mode from the external attributes.
    central.writeUInt16LE(0x0314, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
};

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
