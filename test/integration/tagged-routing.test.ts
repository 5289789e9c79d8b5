/** Tagged routing: 10 % of one task type goes to workers started with a tag; the rest, and other tasks, to untagged workers. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { squares } from '../fixtures/processes.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);
const N = 1000;

describe('tagged routing', () => {
  let dir: TempDir;
  let millrace: Millrace;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent', routes: [{ task: 'square', tag: 'v2', share: 0.1 }] });
  });
  after(async () => {
    await millrace.close();
    dir.remove();
  });

  it('sends about a tenth of the square tasks to the v2 worker and nothing else', async () => {
    const stable = await millrace.startWorker({ tasks });
    const canary = await millrace.startWorker({ tasks, tags: ['v2'] });
    assert.deepEqual([stable.queues, canary.queues], [['tasks'], ['tasks.tag.v2']]);
    const view = await millrace.runProcess(squares, { n: N }, { processId: 'routing-split' });
    assert.equal(view.status, 'completed');
    assert.equal(view.output, Array.from({ length: N }, (_, i) => (i + 1) ** 2).reduce((a, b) => a + b, 0) + N);
    // A worker counts a task once its ack is done, just after the process saw the result.
    for (let waited = 0; canary.stats().succeeded + stable.stats().succeeded < N + 2 && waited < 10_000; waited += 20) await sleep(20);
    const routed = canary.stats().succeeded;
    const rest = stable.stats().succeeded;
    assert.equal(routed + rest, N + 2, 'every task ran once: 1000 squares, range and total');
    // Binomial(1000, 0.1) has a standard deviation of 9.5: ±40 is four of them.
    assert.ok(routed >= 60 && routed <= 140, `v2 took ${routed} of ${N} squares`);
  });

  it('changes routes live: with the route removed, new tasks all go untagged', async () => {
    millrace.orchestrator.setRoutes([]);
    const canary = await millrace.startWorker({ tasks, tags: ['v3'] });
    const before = canary.stats().succeeded;
    await millrace.runProcess(squares, { n: 50 }, { processId: 'routing-none' });
    assert.equal(canary.stats().succeeded - before, 0);
    assert.throws(() => millrace.orchestrator.setRoutes([{ task: 'square', tag: 'bad tag', share: 0.5 }]), { code: 'CONFIG_INVALID', message: /tag may only hold/ });
  });
});
