import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { FileBlobStore } from '../../../src/adapters/embedded/file-blob-store.js';
import { SqliteEventStore } from '../../../src/adapters/embedded/sqlite-event-store.js';
import { processStreamId } from '../../../src/jobs/process-events.js';
import { ProcessManager } from '../../../src/jobs/process-manager.js';
import { ProcessRegistry } from '../../../src/jobs/process-registry.js';
import type { AppendResult, EventStore } from '../../../src/ports/event-store.js';
import { squares } from '../../fixtures/processes.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

/** An event store whose appends wait until the test opens the gate: a slow commit. */
function gatedStore(inner: EventStore): { store: EventStore; open(): void } {
  let opened = false;
  let waiting: Array<() => void> = [];
  const store: EventStore = {
    append: async (...args) => {
      if (!opened) await new Promise<void>((resolve) => waiting.push(resolve));
      return inner.append(...args) as Promise<AppendResult>;
    },
    read: (...args) => inner.read(...args),
    readAll: (...args) => inner.readAll(...args),
    streamVersion: (...args) => inner.streamVersion(...args),
    close: () => inner.close(),
  };
  return {
    store,
    open: () => {
      opened = true;
      for (const resolve of waiting) resolve();
      waiting = [];
    },
  };
}

void describe('ProcessManager', () => {
  let dir: TempDir;
  before(() => void (dir = createTempDir('millrace-process-manager-')));
  after(() => dir.remove());

  void it('answers state with what is stored, never a decision whose append has not committed', async () => {
    const events = new SqliteEventStore({ path: dir.file('events.db') });
    const gate = gatedStore(events);
    const registry = new ProcessRegistry();
    registry.register(squares);
    const manager = new ProcessManager({ events: gate.store, blobs: new FileBlobStore({ root: dir.file('blobs') }), registry, clock: new ManualClock(1_000), logger: silentLogger, claimCheckBytes: 65_536 });
    const processId = 'p-1';
    const started = manager.execute(processId, { type: 'StartProcess', processId, definition: 'squares', version: 1, input: { n: 3 }, now: 1_000 });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the decision is made; its append waits at the gate

    let answered = false;
    const state = manager.state(processId).then((value) => ((answered = true), value));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(answered, false, 'state waits while the batch in hand is not stored');

    gate.open();
    await started;
    const answer = await state;
    assert.equal(answer?.eventVersion, await events.streamVersion(processStreamId(processId)), 'the answer is the stored version');
    assert.ok((answer?.eventVersion ?? 0) > 0);
    await events.close();
  });

  void it('gives the same decision the same event ids, and a different decision at the same place other ids for every event', async () => {
    const registry = new ProcessRegistry();
    registry.register(squares);
    const idsAfter = async (name: string, items: number): Promise<string[]> => {
      const events = new SqliteEventStore({ path: dir.file(`${name}.db`) });
      const manager = new ProcessManager({ events, blobs: new FileBlobStore({ root: dir.file('blobs') }), registry, clock: new ManualClock(1_000), logger: silentLogger, claimCheckBytes: 65_536 });
      await manager.execute('p-ids', { type: 'StartProcess', processId: 'p-ids', definition: 'squares', version: 1, input: { n: 3 }, now: 1_000 });
      const numbers = 'p-ids/numbers/0';
      await manager.execute('p-ids', { type: 'CompleteTask', taskId: numbers, attempt: 1, output: Array.from({ length: items }, (_, i) => i), durationMs: 1, now: 1_001 });
      const ids = (await events.read(processStreamId('p-ids'))).map((event) => event.id);
      await events.close();
      return ids;
    };
    const first = await idsAfter('ids-a', 3);
    const again = await idsAfter('ids-b', 3);
    const other = await idsAfter('ids-c', 4);
    assert.deepEqual(again, first, 'deciding the same commands again (a retried append) gives the same ids, which the store recognises');
    assert.ok(first.length > 4);
    assert.equal(new Set(first).size, first.length, 'ids are unique within a stream');
    const started = first.findIndex((id) => !id.startsWith('process-p-ids@1#') && !id.startsWith('process-p-ids@2#') && !id.startsWith('process-p-ids@3#'));
    assert.deepEqual(other.slice(0, started), first.slice(0, started), 'the same start decides the same first batch');
    for (let i = started; i < Math.min(first.length, other.length); i++) assert.notEqual(other[i], first[i], `a different fan-out (another output at the same place) changes the id at version ${i + 1}`);
  });
});
