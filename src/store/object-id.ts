import { randomBytes } from 'node:crypto';

// MongoDB ObjectId layout (4-byte seconds, 5 random bytes per process, 3-byte counter), so that
// ids from the embedded store look like the seed's and sort by creation time.

const processRandom = randomBytes(5);
let counter = randomBytes(3).readUIntBE(0, 3);

export function newObjectIdHex(now: Date): string {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(now.getTime() / 1000) >>> 0, 0);
  processRandom.copy(bytes, 4);
  counter = (counter + 1) % 0x1000000;
  bytes.writeUIntBE(counter, 9, 3);
  return bytes.toString('hex');
}
