import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute, routeTask, tagQueue } from '../../../src/jobs/task-routing.js';

describe('task routing', () => {
  it('routes the asked share of a task type by task id, the same way every time', () => {
    const routes = [{ task: 'resize', tag: 'v2', share: 0.1 }];
    const ids = Array.from({ length: 20_000 }, (_, i) => `p-${i % 7}/resize/${i}`);
    const routed = ids.filter((id) => routeTask('resize', id, routes) === 'v2').length;
    assert.ok(Math.abs(routed / ids.length - 0.1) < 0.01, `routed ${routed} of ${ids.length}`);
    assert.deepEqual(ids.map((id) => routeTask('resize', id, routes)), ids.map((id) => routeTask('resize', id, routes)));
    assert.equal(ids.filter((id) => routeTask('thumbnail', id, routes) !== undefined).length, 0, 'other task types are not routed');
    assert.equal(routeTask('resize', 'any', [{ task: 'resize', tag: 'all', share: 1 }]), 'all');
  });

  it('parses the CLI form and names a bad one', () => {
    assert.deepEqual(parseRoute('resize=v2:0.25'), { task: 'resize', tag: 'v2', share: 0.25 });
    assert.throws(() => parseRoute('resize:v2'), { code: 'CONFIG_INVALID', message: /must read task=tag:share/ });
    assert.throws(() => parseRoute('resize=v2:1.5'), { message: /share must be a number in \(0, 1\]/ });
    assert.equal(tagQueue('tasks', 'v2'), 'tasks.tag.v2');
  });
});
