/** What the docs import from the package entry points exists there. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as millrace from '../../src/index.js';
import * as testing from '../../src/testing/index.js';
import * as task from '../../src/task.js';

describe('public API', () => {
  it('exports what the README and docs import', () => {
    for (const name of ['createMillrace', 'defineProcess', 'defineMapReduce', 'defineSchedule', 'defineConfig', 'defineTask', 'MillraceError', 'hasCode', 'NonRetryableError']) {
      assert.equal(typeof (millrace as Record<string, unknown>)[name], 'function', `millrace exports ${name}`);
    }
    for (const name of ['given', 'simulateProcess', 'replayHistory']) assert.equal(typeof (testing as Record<string, unknown>)[name], 'function', `millrace/testing exports ${name}`);
    for (const name of ['defineTask', 'NonRetryableError']) assert.equal(typeof (task as Record<string, unknown>)[name], 'function', `millrace/task exports ${name}`);
  });
});
