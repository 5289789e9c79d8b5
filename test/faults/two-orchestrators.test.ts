/**
 * Fault: two orchestrators write to the same process on the same
 * PostgreSQL event store (a second server, or a stale one that has not
 * noticed it lost its place). The store's expected-version check rejects
 * one writer of each race; the loser decides again on the new state. The
 * history never holds two events at one version, and every task is
 * confirmed exactly once whoever reported it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { PostgresEventStore } from '../../src/adapters/postgres/postgres-event-store.js';
import { processStreamId } from '../../src/jobs/process-events.js';
import { ProcessManager } from '../../src/jobs/process-manager.js';
import { ProcessRegistry } from '../../src/jobs/process-registry.js';
import { squares } from '../fixtures/processes.js';
import { dropSchema, freshSchemaName, POSTGRES_URL } from '../helpers/postgres.js';
import { requireService } from '../helpers/services.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const skip = await requireService('postgres');
const N = 40;

describe('fault: two orchestrators append to one process', { skip }, () => {
  let dir: TempDir;
  let schema: string;
  const stores: PostgresEventStore[] = [];

  before(() => {
    dir = createTempDir('millrace-two-writers-');
    schema = freshSchemaName();
  });
  after(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await dropSchema(schema);
    dir.remove();
  });

  function orchestratorOn(conflicts: { count: number }): { events: PostgresEventStore; manager: ProcessManager } {
    // Its own store and pool: as another server process would have.
    const events = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
    stores.push(events);
    const logger: Logger = { ...silentLogger, warn: (fields, message) => void (message.includes('another writer') && conflicts.count++), child: () => logger };
    const registry = new ProcessRegistry();
    registry.register(squares);
    const manager = new ProcessManager({
      events, blobs: new FileBlobStore({ root: dir.file('blobs') }), registry,
      clock: new ManualClock(1_000), logger, claimCheckBytes: 65_536,
    });
    return { events, manager };
  }

  it('one writer of each race is rejected by the version check; no duplicate versions; each task confirmed once', async () => {
    const conflicts = { count: 0 };
    const a = orchestratorOn(conflicts);
    const b = orchestratorOn(conflicts);
    const processId = 'two-writers';
    const stream = processStreamId(processId);
    await a.manager.execute(processId, { type: 'StartProcess', processId, definition: 'squares', version: 1, input: { n: N }, now: 1_000 });
    const [range] = await scheduled(a.events, stream);
    await a.manager.execute(processId, { type: 'CompleteTask', taskId: range!, attempt: 1, output: Array.from({ length: N }, (_, i) => i + 1), now: 1_001 });
    const squaresTasks = (await scheduled(a.events, stream)).filter((id) => id.includes('/squared/'));
    assert.equal(squaresTasks.length, N);

    // Both hold the process at the same version, as two running servers would.
    await b.manager.state(processId);
    // Both orchestrators report every result (as after a duplicated delivery), at once, in opposite orders.
    const report = (who: { manager: ProcessManager }, ids: string[]): Array<Promise<unknown>> =>
      ids.map((taskId) => who.manager.execute(processId, { type: 'CompleteTask', taskId, attempt: 1, output: (Number(taskId.split('/').pop()) + 1) ** 2, now: 1_002 }));
    const outcomes = await Promise.allSettled([...report(a, squaresTasks), ...report(b, [...squaresTasks].reverse())]);
    assert.deepEqual(outcomes.filter((o) => o.status === 'rejected'), [], 'every command was applied or dropped, none failed');
    assert.ok(conflicts.count > 0, 'the two writers raced: at least one append was rejected by the version check');

    const history = await a.events.read(stream);
    assert.deepEqual(history.map((e) => e.version), history.map((_, i) => i + 1), 'versions 1, 2, 3 … without gaps or duplicates');
    const completed = history.filter((e) => e.type === 'TaskCompleted').map((e) => (e.data as { taskId: string }).taskId);
    assert.equal(completed.length, new Set(completed).size, 'no task confirmed twice');
    assert.ok(squaresTasks.every((id) => completed.includes(id)), 'every task confirmed');
    assert.ok(history.some((e) => e.type === 'TaskScheduled' && (e.data as { taskId: string }).taskId.includes('/total/')), 'the fan-in step was scheduled once all squares were in');
    assert.equal(history.filter((e) => e.type === 'TaskScheduled' && (e.data as { taskId: string }).taskId.includes('/total/')).length, 1);
  });
});

async function scheduled(events: PostgresEventStore, stream: string): Promise<string[]> {
  return (await events.read(stream)).filter((e) => e.type === 'TaskScheduled').map((e) => (e.data as { taskId: string }).taskId);
}
