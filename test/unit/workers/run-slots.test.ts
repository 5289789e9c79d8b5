/** Run slots: at most the limit at once, waiters served in arrival order, a raised limit applied at once. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RunSlots } from '../../../src/workers/run-slots.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RunSlots', () => {
  it('grants up to the limit, then in arrival order as slots are released or the limit rises', async () => {
    let limit = 2;
    const slots = new RunSlots(() => limit);
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) void slots.acquire().then(() => granted.push(name));
    await turn();
    assert.deepEqual(granted, ['a', 'b']);
    slots.release();
    await turn();
    assert.deepEqual(granted, ['a', 'b', 'c']);
    limit = 4;
    slots.limitChanged();
    await turn();
    assert.deepEqual(granted, ['a', 'b', 'c', 'd', 'e']);
  });
});
