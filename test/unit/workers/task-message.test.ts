/** Task and result messages read from a queue are untrusted: each bad field is refused by name. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TASK_TIMEOUT_MS, parseTaskPayload, parseTaskResult } from '../../../src/workers/task-message.js';

function refuses(parse: () => unknown, field: string): void {
  assert.throws(parse, (error: { code?: string; message?: string; details?: { field?: string } }) => {
    assert.equal(error.code, 'QUEUE_MESSAGE_INVALID');
    assert.equal(error.details?.field, field);
    assert.match(String(error.message), new RegExp(`field "${field}" must be`));
    return true;
  });
}

describe('task messages', () => {
  it('accepts a well-formed payload', () => {
    assert.deepEqual(parseTaskPayload({ taskId: 'p/s/0', input: { a: 1 }, resultQueue: 'millrace.results', timeoutMs: 5000, attempt: 2 }),
      { taskId: 'p/s/0', input: { a: 1 }, resultQueue: 'millrace.results', timeoutMs: 5000, attempt: 2 });
  });

  it('refuses payloads that are not objects, and each malformed field by name', () => {
    for (const payload of [null, 'task', 42, [], true]) refuses(() => parseTaskPayload(payload), 'payload');
    for (const taskId of [undefined, 7, '', 'x'.repeat(501), {}]) refuses(() => parseTaskPayload({ taskId }), 'taskId');
    for (const resultQueue of [3, '', 'has space', 'a/b', '../results', 'x'.repeat(201)]) refuses(() => parseTaskPayload({ taskId: 't', resultQueue }), 'resultQueue');
    // A timer past 2^31 − 1 ms fires at once in Node: such a timeout would fail every run immediately.
    for (const timeoutMs of [0, -1, '1000', MAX_TASK_TIMEOUT_MS + 1, 1e10, Number.NaN]) refuses(() => parseTaskPayload({ taskId: 't', timeoutMs }), 'timeoutMs');
    for (const attempt of [0, -1, 1.5, '2']) refuses(() => parseTaskPayload({ taskId: 't', attempt }), 'attempt');
  });

  it('refuses results with missing or wrongly typed fields, and failures without their shape', () => {
    const ok = { taskId: 'p/s/0', name: 'square', attempt: 1, ok: true, output: 4, durationMs: 3 };
    assert.deepEqual(parseTaskResult(ok), ok);
    for (const payload of [null, 'x', []]) refuses(() => parseTaskResult(payload), 'result');
    refuses(() => parseTaskResult({ ...ok, taskId: 1 }), 'taskId');
    refuses(() => parseTaskResult({ ...ok, name: undefined }), 'name');
    refuses(() => parseTaskResult({ ...ok, ok: 'yes' }), 'ok');
    for (const attempt of [0, 1.5, '1']) refuses(() => parseTaskResult({ ...ok, attempt }), 'attempt');
    for (const durationMs of [undefined, -1, 'fast']) refuses(() => parseTaskResult({ ...ok, durationMs }), 'durationMs');
    for (const failure of [undefined, null, 'boom', { message: 'no type' }, { type: 'X', message: 'm' }]) refuses(() => parseTaskResult({ ...ok, ok: false, failure }), 'failure');
  });
});
