/** The runner group's rules, as pure transitions: join, balance, two-step hand-over, expiry, leaving, finished tasks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allFinished, emptyGroup, reconcileGroup, targetOwners, type RunnerGroup } from '../../../../src/streams/runtime/runner-group.js';

const TASKS = ['map/0', 'map/1', 'map/2', 'window/0', 'window/1', 'window/2'];
const LEASE = 1_000;

/** One heartbeat of `runner` at `now`, running `running`. */
function beat(group: RunnerGroup, runner: string, now: number, running: Iterable<string> = [], finished: Iterable<string> = [], leaving = false) {
  return reconcileGroup(group, { runnerId: runner, now, leaseMs: LEASE, tasks: TASKS, running: new Set(running), finished: new Set(finished), leaving });
}

function ownersOf(group: RunnerGroup, runner: string): string[] {
  return Object.entries(group.owners).filter(([, owner]) => owner === runner).map(([task]) => task).sort();
}

describe('stream runner group', () => {
  it('deals tasks round-robin over the members in id order', () => {
    assert.deepEqual([...targetOwners(TASKS, ['b', 'a'])], [['map/0', 'a'], ['map/1', 'b'], ['map/2', 'a'], ['window/0', 'b'], ['window/1', 'a'], ['window/2', 'b']]);
    assert.equal(targetOwners(TASKS, []).size, 0);
  });

  it('gives a lone runner every task, then hands half to a newcomer in two steps (stop, release, claim)', () => {
    const a1 = beat(emptyGroup(undefined), 'a', 0);
    assert.deepEqual(a1.start, TASKS);
    const b1 = beat(a1.group, 'b', 100);
    // b is a member, but a still holds everything: b may not start anything yet.
    assert.deepEqual(b1.start, []);
    assert.equal(b1.group.generation, 2);
    const a2 = beat(b1.group, 'a', 200, TASKS);
    assert.deepEqual(a2.stop.sort(), ['map/1', 'window/0', 'window/2'], 'a stops the tasks that moved');
    assert.deepEqual(ownersOf(a2.group, 'a'), TASKS, 'and keeps them while they still run');
    const a3 = beat(a2.group, 'a', 300, ['map/0', 'map/2', 'window/1']);
    assert.deepEqual(ownersOf(a3.group, 'a'), ['map/0', 'map/2', 'window/1'], 'released once stopped');
    const b2 = beat(a3.group, 'b', 400);
    assert.deepEqual(b2.start.sort(), ['map/1', 'window/0', 'window/2']);
    assert.deepEqual(Object.keys(b2.group.owners).sort(), TASKS, 'every task has its one owner');
  });

  it('never has two owners for a task in any version of the row', () => {
    let group = emptyGroup(undefined);
    const running: Record<string, Set<string>> = { a: new Set(), b: new Set(), c: new Set() };
    const order = ['a', 'b', 'a', 'c', 'b', 'a', 'c', 'b', 'c', 'a', 'b', 'c'];
    order.forEach((runner, i) => {
      const result = beat(group, runner, i * 50, running[runner]!);
      for (const task of result.stop) running[runner]!.delete(task);
      for (const task of result.start) running[runner]!.add(task);
      group = result.group;
      // Each task runs on at most one runner, and that runner owns it in the row.
      for (const task of TASKS) {
        const on = Object.keys(running).filter((r) => running[r]!.has(task));
        assert.ok(on.length <= 1, `${task} runs on ${on.join(', ')}`);
        if (on.length === 1) assert.equal(group.owners[task], on[0]);
      }
    });
    assert.deepEqual(Object.values(running).map((tasks) => tasks.size), [2, 2, 2], 'balanced at the end');
  });

  it('frees a dead runner\'s tasks once its lease has run out, not before', () => {
    const a1 = beat(emptyGroup(undefined), 'a', 0);
    const b1 = beat(a1.group, 'b', 10);
    const a2 = beat(b1.group, 'a', 20, TASKS);
    const a3 = beat(a2.group, 'a', 30, ['map/0', 'map/2', 'window/1']);
    const b2 = beat(a3.group, 'b', 40);
    assert.deepEqual(b2.start.sort(), ['map/1', 'window/0', 'window/2']);
    // a dies (no more heartbeats). Before its lease ends, b takes nothing of a's.
    const early = beat(b2.group, 'b', 500, b2.start);
    assert.deepEqual(early.start, []);
    assert.ok('a' in early.group.members);
    const late = beat(early.group, 'b', 30 + LEASE, b2.start);
    assert.ok(!('a' in late.group.members));
    assert.deepEqual(late.start.sort(), ['map/0', 'map/2', 'window/1']);
  });

  it('a stalled runner that comes back finds its tasks taken and stops them', () => {
    const a1 = beat(emptyGroup(undefined), 'a', 0);
    const b1 = beat(a1.group, 'b', 10);
    const b2 = beat(b1.group, 'b', 10 + LEASE + 1);
    assert.deepEqual(b2.start, TASKS, 'a expired: b holds everything');
    const a2 = beat(b2.group, 'a', 2_000, TASKS);
    assert.deepEqual(a2.stop.sort(), TASKS, 'a stops every task it was still running');
    assert.deepEqual(a2.start, []);
    assert.deepEqual(ownersOf(a2.group, 'a'), []);
  });

  it('leaving releases everything at once; finished tasks are never started again', () => {
    const a1 = beat(emptyGroup([{ from: 0, to: 10 }]), 'a', 0);
    const b1 = beat(a1.group, 'b', 10);
    const left = beat(b1.group, 'a', 20, [], [], true);
    assert.ok(!('a' in left.group.members));
    assert.deepEqual(left.group.owners, {});
    const b2 = beat(left.group, 'b', 30, [], ['map/0']);
    assert.deepEqual(b2.start, TASKS.filter((t) => t !== 'map/0'));
    assert.equal(allFinished(b2.group, TASKS), false);
    const b3 = beat(b2.group, 'b', 40, [], TASKS);
    assert.equal(allFinished(b3.group, TASKS), true);
    assert.deepEqual(b3.start, []);
    assert.equal(allFinished(beat(emptyGroup(undefined), 'a', 0, [], TASKS).group, TASKS), false, 'an unbounded run never finishes');
  });
});
