/** A micro-batch stream's dial changes read back as an audit log: who, when, from what to what. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyDialChange, currentDials, DEFAULT_DIALS, dialChanges, dialsTopic, setDials } from '../../../../src/streams/runtime/dials.js';
import { openTestStore, type TestStore } from './support.js';

describe('stream dials audit log', () => {
  let t: TestStore;
  before(() => (t = openTestStore()));
  after(() => t.close());

  it('lists each dial changed, with the value it replaced and who changed it; the fold ignores the name', async () => {
    await setDials(t.log, 'audit-mb', { maxMessages: 50 }, 'alice');
    await setDials(t.log, 'audit-mb', { maxMessages: 50, concurrency: 3 }, 'bob');
    await setDials(t.log, 'audit-mb', { maxWaitMs: 5 });
    await t.log.append(dialsTopic('audit-mb'), [{ value: { speed: 9, by: 'mallory' } }]);
    const changes = await dialChanges(t.log, 'audit-mb', { maxMessages: 200 });
    assert.deepEqual(changes.map(({ dial, from, to, by }) => [dial, from, to, by]), [
      ['maxMessages', 200, 50, 'alice'],
      ['concurrency', 1, 3, 'bob'],
      ['maxWaitMs', 1000, 5, 'unknown'],
    ]);
    assert.ok(changes.every((c) => c.at > 0));
    assert.deepEqual(await currentDials(t.log, 'audit-mb', { maxMessages: 200 }), { maxMessages: 50, maxWaitMs: 5, concurrency: 3 });
    assert.deepEqual(applyDialChange(DEFAULT_DIALS, { concurrency: 2, by: 'x' }), { ...DEFAULT_DIALS, concurrency: 2 });
    assert.deepEqual(await dialChanges(t.log, 'never-changed'), []);
  });
});
