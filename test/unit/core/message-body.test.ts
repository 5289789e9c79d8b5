/** Message bodies: JSON when a payload has no bytes, a frame when it does; damaged frames are refused with a reason. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeForInspection, decodeMessageBody, encodeMessageBody, isFrame } from '../../../src/core/message-body.js';

const code = (c: string, message?: RegExp) => (error: unknown) => {
  assert.equal((error as { code?: string }).code, c);
  if (message !== undefined) assert.match((error as Error).message, message);
  return true;
};

describe('message bodies', () => {
  it('stay plain JSON text when the payload carries no bytes, so every reader of old messages still reads them', () => {
    assert.equal(encodeMessageBody({ a: [1, 'x'], b: null }), '{"a":[1,"x"],"b":null}');
    assert.deepEqual(decodeMessageBody(Buffer.from('{"a":1}')), { a: 1 });
    assert.equal(encodeMessageBody({ floats: Float32Array.of(1) }), '{"floats":{"0":1}}', 'other typed arrays go the JSON way, as before');
  });

  it('round-trip bytes anywhere in a payload, the payload itself included, as aligned fresh copies', () => {
    const source = new Uint8Array(11).map((_, k) => k * 3);
    const body = encodeMessageBody({ deep: [{ x: source.subarray(1, 6) }, 'y'], top: Buffer.from('héllo') });
    assert.ok(typeof body !== 'string' && isFrame(body));
    const back = decodeMessageBody(body) as { deep: [{ x: Uint8Array }, string]; top: Uint8Array };
    assert.deepEqual([...back.deep[0].x], [3, 6, 9, 12, 15]);
    assert.equal(Buffer.from(back.top).toString(), 'héllo');
    assert.equal(back.deep[1], 'y');
    assert.ok([back.deep[0].x, back.top].every((a) => a.byteOffset % 8 === 0));
    back.top.fill(0);
    assert.equal(Buffer.from((decodeMessageBody(body) as { top: Uint8Array }).top).toString(), 'héllo', 'decoding copies: the stored frame is untouched');
    assert.deepEqual([...(decodeMessageBody(encodeMessageBody(new Uint8Array([9, 8]))) as Uint8Array)], [9, 8]);
    const owned = encodeMessageBody({ png: new Uint8Array([7]) }) as Buffer;
    assert.equal((decodeMessageBody(owned, {}, { owned: true }) as { png: Uint8Array }).png.buffer, owned.buffer, 'a frame the caller owns (transferred from a thread) is not copied');
  });

  it('refuse a $bytes key next to bytes, frames over the limit, and damaged frames, naming the problem', () => {
    assert.throws(() => encodeMessageBody({ $bytes: 1, data: new Uint8Array(1) }), code('CODEC_FORBIDDEN_KEY', /marks where they go/));
    assert.deepEqual(decodeMessageBody(encodeMessageBody({ $bytes: 1 })), { $bytes: 1 }, 'without bytes the key is an ordinary key');
    assert.throws(() => encodeMessageBody({ data: new Uint8Array(2000) }, { maxBytes: 1000 }), code('CODEC_TOO_LARGE'));
    const frame = encodeMessageBody({ a: new Uint8Array([1, 2, 3]), b: new Uint8Array([4]) }) as Buffer;
    assert.throws(() => decodeMessageBody(frame, { maxBytes: 16 }), code('CODEC_TOO_LARGE'));
    assert.throws(() => decodeMessageBody(frame.subarray(0, frame.length - 8)), code('CODEC_INVALID_JSON', /runs past its end|after its last array/));
    assert.throws(() => decodeMessageBody(Buffer.concat([frame, Buffer.alloc(8)])), code('CODEC_INVALID_JSON', /after its last array/));
    const twice = Buffer.from(frame);
    twice.write('{"a":{"$bytes":0},"b":{"$bytes":0}}', twice.indexOf('{"a"'), 'utf8');
    assert.throws(() => decodeMessageBody(twice), code('CODEC_INVALID_JSON', /names no array, or one already placed/));
    const lying = Buffer.from(frame);
    lying.writeUInt32LE(1 << 30, 4);
    assert.throws(() => decodeMessageBody(lying), code('CODEC_INVALID_JSON', /more than its/));
    const proto = Buffer.from(frame);
    proto.write('{"__proto__":{"$bytes":0}', proto.indexOf('{"a"'), 'utf8');
    assert.throws(() => decodeMessageBody(proto), (e: unknown) => /CODEC_/.test(String((e as { code?: string }).code)));
  });

  it('show a dead letter that no longer decodes as it is stored: JSON text as text, a frame as base64', () => {
    assert.deepEqual(decodeForInspection(encodeMessageBody({ a: new Uint8Array([1]) })), { a: new Uint8Array([1]) });
    assert.equal(decodeForInspection('{"cut'), '{"cut');
    assert.equal(decodeForInspection(Buffer.from('{"cut')), '{"cut');
    const damaged = (encodeMessageBody({ a: new Uint8Array([1]) }) as Buffer).subarray(0, 20);
    assert.equal(decodeForInspection(damaged), damaged.toString('base64'));
  });
});
