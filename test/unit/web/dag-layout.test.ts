/** The dashboard's DAG layout: columns by longest chain, rows ordered by parents, edges from parent to child. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LAYOUT, layoutDag } from '../../../web/src/dag-layout.js';
import { stepEnd, stepState } from '../../../web/src/step-state.js';
import type { StepView } from '../../../web/src/types.js';

describe('layoutDag', () => {
  it('puts a step in the column after its deepest parent', () => {
    const layout = layoutDag([
      { name: 'numbers', after: [] },
      { name: 'squared', after: ['numbers'] },
      { name: 'total', after: ['numbers', 'squared'] },
    ]);
    assert.deepEqual(layout.nodes.map((n) => [n.name, n.column]), [['numbers', 0], ['squared', 1], ['total', 2]]);
    assert.deepEqual(layout.edges.map((e) => `${e.from}>${e.to}`), ['numbers>squared', 'numbers>total', 'squared>total']);
    const { nodeWidth, gapX } = DEFAULT_LAYOUT;
    assert.equal(layout.width, 3 * nodeWidth + 2 * gapX);
    for (const edge of layout.edges) assert.match(edge.path, /^M[\d.]+,[\d.]+ C/);
  });

  it('orders a column by its parents so fan-out and fan-in do not cross', () => {
    const layout = layoutDag([
      { name: 'a', after: [] },
      { name: 'b', after: [] },
      { name: 'from-b', after: ['b'] },
      { name: 'from-a', after: ['a'] },
      { name: 'join', after: ['from-a', 'from-b'] },
    ]);
    const row = new Map(layout.nodes.map((n) => [n.name, n.row]));
    assert.ok(row.get('from-a')! < row.get('from-b')!, 'children keep their parents\' order');
    const y = new Map(layout.nodes.map((n) => [n.name, n.y]));
    assert.equal(y.get('join'), (y.get('from-a')! + y.get('from-b')!) / 2, 'a lone node is centred on its column');
  });

  it('ignores parents it does not know and survives a cycle', () => {
    const layout = layoutDag([{ name: 'x', after: ['ghost'] }, { name: 'y', after: ['z'] }, { name: 'z', after: ['y'] }]);
    assert.equal(layout.nodes.length, 3);
    assert.equal(layout.nodes.find((n) => n.name === 'x')!.column, 0);
  });
});

describe('stepState', () => {
  const step: Omit<StepView, 'status'> = { name: 's', task: 't', after: [], tasks: 3, completed: 1, failed: 0, retries: 0 };
  it('tells running from retrying, and the failed step from those it stopped', () => {
    assert.equal(stepState({ ...step, status: 'running' }, { status: 'running' }), 'running');
    assert.equal(stepState({ ...step, status: 'running', retries: 1 }, { status: 'running' }), 'retried');
    assert.equal(stepState({ ...step, status: 'completed', retries: 2 }, { status: 'completed' }), 'done');
    assert.equal(stepState({ ...step, status: 'running', failed: 1 }, { status: 'failed', failure: { reason: 'r', step: 's' } }), 'failed');
    assert.equal(stepState({ ...step, status: 'running' }, { status: 'failed', failure: { reason: 'r', step: 'other' } }), 'stopped');
    assert.equal(stepState({ ...step, status: 'running' }, { status: 'cancelled' }), 'stopped');
    assert.equal(stepState({ ...step, status: 'pending' }, { status: 'running' }), 'pending');
    assert.equal(stepState({ ...step, status: 'skipped' }, { status: 'completed' }), 'skipped');
  });

  it('ends a stopped step\'s clock when its process ended', () => {
    assert.equal(stepEnd({ ...step, status: 'running', startedAt: 1 }, { status: 'cancelled', finishedAt: 9 }), 9);
    assert.equal(stepEnd({ ...step, status: 'running', startedAt: 1 }, { status: 'running' }), undefined);
    assert.equal(stepEnd({ ...step, status: 'completed', startedAt: 1, finishedAt: 5 }, { status: 'completed', finishedAt: 9 }), 5);
  });
});
