import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectTasks, defineTask } from '../../../src/workers/task-definition.js';
import { toFailure, NonRetryableError } from '../../../src/core/failure.js';
import { MillraceError } from '../../../src/core/errors.js';

describe('defineTask', () => {
  it('validates the name, handler and timeout', () => {
    assert.throws(() => defineTask('bad name!', () => 1), { code: 'CONFIG_INVALID', message: /bad name!/ });
    assert.throws(() => defineTask('x', 'nope' as never), { code: 'CONFIG_INVALID', message: /handler/ });
    assert.throws(() => defineTask('x', () => 1, { timeoutMs: -1 }), { code: 'CONFIG_INVALID', message: /timeoutMs/ });
  });

  it('collects definitions from named exports, arrays and objects; rejects duplicates and empty modules', () => {
    const a = defineTask('a', () => 1);
    const b = defineTask('b', () => 2);
    const c = defineTask('c', () => 3);
    const found = collectTasks({ a, list: [b], group: { c }, other: 42 }, 'tasks.ts');
    assert.deepEqual([...found.keys()].sort(), ['a', 'b', 'c']);
    assert.throws(() => collectTasks({ a, a2: defineTask('a', () => 9) }, 'tasks.ts'), { code: 'CONFIG_INVALID', message: /two tasks named "a"/ });
    assert.throws(() => collectTasks({ x: 1 }, 'tasks.ts'), { code: 'CONFIG_INVALID', message: /exports no task definitions/ });
  });
});

describe('toFailure', () => {
  it('keeps engine codes as the type and marks known non-retryable failures', () => {
    assert.deepEqual(toFailure(new MillraceError('TASK_TIMEOUT', 'slow')), { type: 'TASK_TIMEOUT', message: 'slow', retryable: true, cause: undefined });
    assert.equal(toFailure(new MillraceError('TASK_UNKNOWN', 'x')).retryable, false);
    assert.equal(toFailure(new NonRetryableError('bad input')).retryable, false);
    assert.equal(toFailure(new TypeError('oops')).type, 'TypeError');
    assert.equal(toFailure('a string').message, 'a string');
  });

  it('records one level of cause', () => {
    const failure = toFailure(new Error('outer', { cause: new RangeError('inner') }));
    assert.deepEqual(failure.cause, { type: 'RangeError', message: 'inner' });
  });
});
