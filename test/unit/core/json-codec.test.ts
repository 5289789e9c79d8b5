import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJson, encodeJson } from '../../../src/core/json-codec.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('JSON codec', () => {
  it('round-trips ordinary values from text and bytes', () => {
    const value = { a: [1, 'two', { three: true }], b: null };
    assert.deepEqual(decodeJson(encodeJson(value)), value);
    assert.deepEqual(decodeJson(new TextEncoder().encode(encodeJson(value))), value);
  });

  it('rejects __proto__ and constructor keys at any depth', () => {
    assert.equal(codeOf(() => decodeJson('{"__proto__": {"polluted": 1}}')), 'CODEC_FORBIDDEN_KEY');
    assert.equal(codeOf(() => decodeJson('{"a": [{"constructor": {"prototype": {}}}]}')), 'CODEC_FORBIDDEN_KEY');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses to encode what it would refuse to decode', () => {
    const hostile = JSON.parse('{"__proto__": 1}') as unknown;
    assert.equal(codeOf(() => encodeJson(hostile)), 'CODEC_FORBIDDEN_KEY');
  });

  it('enforces the size limit in bytes, not characters', () => {
    assert.equal(codeOf(() => decodeJson(`"${'é'.repeat(600)}"`, { maxBytes: 1000 })), 'CODEC_TOO_LARGE');
    assert.equal(codeOf(() => encodeJson('x'.repeat(2000), { maxBytes: 1000 })), 'CODEC_TOO_LARGE');
  });

  it('enforces the depth limit without overflowing the stack on hostile nesting', () => {
    assert.equal(codeOf(() => decodeJson('[[[[1]]]]', { maxDepth: 3 })), 'CODEC_TOO_DEEP');
    assert.deepEqual(decodeJson('[[[1]]]', { maxDepth: 3 }), [[[1]]]);
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    assert.equal(codeOf(() => decodeJson(deep)), 'CODEC_TOO_DEEP');
  });

  it('refuses a value whose shared references would make its JSON too large, without walking every path', () => {
    // 50 levels of {l: next, r: next}: 2^50 paths to the bottom, 51 objects in memory.
    let shared: unknown = {};
    for (let level = 0; level < 50; level++) shared = { l: shared, r: shared };
    assert.equal(codeOf(() => encodeJson(shared)), 'CODEC_TOO_LARGE');
    // Shared references whose JSON fits are still accepted.
    let small: unknown = {};
    for (let level = 0; level < 4; level++) small = { l: small, r: small };
    assert.equal(encodeJson(small, { maxBytes: 200 }).length, 197);
  });

  it('names malformed JSON and invalid UTF-8', () => {
    assert.equal(codeOf(() => decodeJson('{"a":')), 'CODEC_INVALID_JSON');
    assert.equal(codeOf(() => decodeJson(new Uint8Array([0x22, 0xff, 0x22]))), 'CODEC_INVALID_JSON');
    assert.equal(codeOf(() => encodeJson(undefined)), 'CODEC_INVALID_JSON');
  });
});
