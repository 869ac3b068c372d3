import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeFrame, FrameBoundaries } from '../../../gateway/proxy/websocket-relay.js';

/** A frame with `length` payload bytes, masked or not (the payload's content does not matter to the boundaries). */
function frame(length: number, masked: boolean): Buffer {
  const ext = length < 126 ? Buffer.alloc(0) : length < 65_536 ? Buffer.alloc(2) : Buffer.alloc(8);
  if (ext.length === 2) ext.writeUInt16BE(length);
  if (ext.length === 8) ext.writeBigUInt64BE(BigInt(length));
  const len7 = ext.length === 0 ? length : ext.length === 2 ? 126 : 127;
  return Buffer.concat([Buffer.from([0x82, (masked ? 0x80 : 0) | len7]), ext, masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0), Buffer.alloc(length, 0x61)]);
}

describe('FrameBoundaries: where frames begin and end, from their heads alone', () => {
  const frames = [frame(5, true), frame(300, false), frame(70_000, true), frame(0, false), frame(125, true)];
  const stream = Buffer.concat(frames);
  const ends: number[] = [];
  frames.reduce((at, f) => (ends.push(at + f.length), at + f.length), 0);

  it('stops exactly at the end of the frame in flight, whatever the chunking', () => {
    for (const chunkSize of [1, 2, 3, 7, 13, 1000, stream.length]) {
      const boundaries = new FrameBoundaries();
      const found: number[] = [];
      let at = 0;
      while (at < stream.length) {
        // Into the next frame by one byte, then in chunks up to its end, as a relay waiting to put its close there.
        at += boundaries.advance(stream.subarray(at, at + 1), false);
        while (!boundaries.atBoundary) at += boundaries.advance(stream.subarray(at, at + chunkSize), true);
        found.push(at);
      }
      assert.deepEqual(found, ends, `chunks of ${chunkSize}`);
    }
  });

  it('without a stop, steps over everything and ends at a boundary after whole frames', () => {
    const boundaries = new FrameBoundaries();
    assert.equal(boundaries.advance(stream.subarray(0, 10), false), 10);
    assert.equal(boundaries.atBoundary, false);
    assert.equal(boundaries.advance(stream.subarray(10), false), stream.length - 10);
    assert.equal(boundaries.atBoundary, true);
  });
});

describe('closeFrame', () => {
  it('is unmasked from the server side and masked (RFC 6455 §5.3) towards a server, with the code first', () => {
    const plain = closeFrame(1012, 'service restart');
    assert.deepEqual([...plain.subarray(0, 4)], [0x88, 17, 0x03, 0xf4]);
    assert.equal(plain.subarray(4).toString(), 'service restart');
    const masked = closeFrame(1001, 'going away', true);
    assert.equal(masked[1]! & 0x80, 0x80);
    const key = masked.subarray(2, 6);
    const payload = Buffer.from(masked.subarray(6).map((b, i) => b ^ key[i % 4]!));
    assert.equal(payload.readUInt16BE(0), 1001);
    assert.equal(payload.subarray(2).toString(), 'going away');
  });

  it('keeps a control frame within 125 bytes however long the reason', () => {
    assert.equal(closeFrame(1012, 'x'.repeat(500))[1], 125);
  });
});
