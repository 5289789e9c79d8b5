import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findJsonProblem } from '../../../src/core/json-shape.js';

describe('findJsonProblem', () => {
  it('accepts plain JSON values, absent optional fields, and objects with toJSON', () => {
    for (const value of [null, 1, 'x', true, [], {}, { a: [1, { b: 'c' }] }, { optional: undefined }, { at: new Date(0) }]) {
      assert.equal(findJsonProblem(value), undefined, JSON.stringify(value));
    }
    const shared = { n: 1 };
    assert.equal(findJsonProblem({ a: shared, b: shared }), undefined, 'the same object twice is not a cycle');
  });

  it('names the path and the reason of values JSON would change or refuse', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    const cases: Array<[unknown, RegExp]> = [
      [{ n: 10n }, /^value\.n is a BigInt/],
      [{ list: [1, () => 2] }, /^value\.list\[1\] is a function/],
      [{ s: new Set([1]) }, /^value\.s is a Set \(it would arrive as \{\}/],
      [{ 'odd key': NaN }, /^value\["odd key"\] is NaN \(JSON has no such number/],
      [[1, undefined], /^value\[1\] is undefined \(JSON turns it into null\)/],
      [{ bytes: new Uint8Array(2) }, /^value\.bytes is binary data/],
      [cyclic, /^value\.self\.back is a circular reference/],
      [Symbol('x'), /^value is a symbol/],
    ];
    for (const [value, expected] of cases) assert.match(findJsonProblem(value) ?? 'no problem found', expected);
  });
});
