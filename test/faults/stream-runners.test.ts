/**
 * Fault: a pipeline's partition tasks spread over two runner processes
 * sharing one SQLite file. Runners SIGKILL themselves every few thousand
 * events they handle; each killed runner is replaced by a new one (a new
 * id), which joins the group. The survivors take the dead runner's tasks
 * over from their checkpoints once its lease runs out, and hand tasks to
 * the newcomer. Afterwards the results equal a single-process run's and a
 * batch recomputation: zero lost, zero duplicated.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { KeyedRecord, ResultRecord } from '../../src/streams/runtime/records.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { readTopicValues, runInOneProcess, writeSequenceLog } from './support/sequence-log.js';
import { expectedWindows, sequenceEvents } from './kill-stream-pipeline.js';

const child = new URL('./stream-runner-child.ts', import.meta.url).pathname;
const EVENTS = 12_000;

interface Outcome { id: string; outcome: 'done' | 'killed'; started: string[] }

function runRunner(path: string, id: string, killAfter: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path, id, String(killAfter)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('exit', (code, signal) => {
      const started = stdout.split('\n').filter((line) => line.includes('"task started"')).map((line) => (JSON.parse(line) as { task: string }).task);
      if (/^done /m.test(stdout)) resolve({ id, outcome: 'done', started });
      else if (signal === 'SIGKILL') resolve({ id, outcome: 'killed', started });
      else reject(new Error(`runner ${id} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe('fault: stream tasks spread over runner processes that are killed and replaced', () => {
  let dir: TempDir;
  const events = sequenceEvents(EVENTS);
  before(async () => {
    dir = createTempDir('millrace-stream-runners-');
    await writeSequenceLog(dir.file('single.db'), events);
    await writeSequenceLog(dir.file('runners.db'), events);
  });
  after(() => dir.remove());

  it('takes a dead runner\'s partitions over from their checkpoints; results equal a single-runner run, nothing lost or duplicated', async () => {
    // The reference: every task in one process.
    await runInOneProcess(dir.file('single.db'));

    // Two runners at a time; each killed one is replaced by a newcomer. The first few are killed, later ones run to the end.
    const killPlan = [3_000, 4_500, 3_500, 4_000, 0, 0, 0, 0];
    const outcomes: Outcome[] = [];
    const live = new Map<string, Promise<Outcome>>();
    let spawned = 0;
    const spawnNext = (): void => {
      const id = `r${spawned}`;
      live.set(id, runRunner(dir.file('runners.db'), id, killPlan[Math.min(spawned, killPlan.length - 1)]!));
      spawned++;
    };
    spawnNext();
    spawnNext();
    while (live.size > 0) {
      const outcome = await Promise.race(live.values());
      live.delete(outcome.id);
      outcomes.push(outcome);
      if (outcome.outcome === 'killed') spawnNext();
      assert.ok(spawned <= 12, `too many runners: ${JSON.stringify(outcomes)}`);
    }
    process.stdout.write(`# stream-runners: events=${EVENTS} runners=${outcomes.map((o) => `${o.id}:${o.outcome}[${o.started.join(' ')}]`).join(', ')}\n`);
    const killed = outcomes.filter((o) => o.outcome === 'killed');
    assert.ok(killed.length >= 3, `killed at least 3 runners (${outcomes.map((o) => o.outcome).join(', ')})`);
    assert.ok(outcomes.filter((o) => o.outcome === 'done').length >= 1);
    // Work was spread: the first two runners both ran tasks, and tasks moved between runners (takeovers and hand-overs).
    const ranOn = new Map<string, Set<string>>();
    for (const { id, started } of outcomes) for (const task of started) ranOn.set(task, (ranOn.get(task) ?? new Set()).add(id));
    assert.ok(outcomes.find((o) => o.id === 'r0')!.started.length > 0 && outcomes.find((o) => o.id === 'r1')!.started.length > 0, 'both first runners ran tasks');
    assert.ok([...ranOn.values()].filter((runners) => runners.size >= 2).length >= 3, 'tasks moved between runners');

    const keyed = (await readTopicValues(dir.file('runners.db'), 'seq.keyed')) as KeyedRecord[];
    const sources = keyed.flatMap((r) => (r.t === 'e' ? [r.src] : []));
    assert.equal(sources.length, EVENTS, 'events in the keyed topic');
    assert.equal(new Set(sources).size, EVENTS, 'no event twice in the keyed topic');

    const expected = expectedWindows(events);
    const single = (await readTopicValues(dir.file('single.db'), 'seq-windows')) as Array<ResultRecord<number[]>>;
    const spread = (await readTopicValues(dir.file('runners.db'), 'seq-windows')) as Array<ResultRecord<number[]>>;
    const ids = spread.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'no result written twice');
    const actual = new Map(spread.map((r) => [`${String(r.key)}@${r.start}-${r.end}`, r.value]));
    let lost = 0;
    let duplicated = 0;
    for (const [window, seqs] of expected) {
      const counted = new Map<number, number>();
      for (const seq of actual.get(window) ?? []) counted.set(seq, (counted.get(seq) ?? 0) + 1);
      for (const seq of seqs) if (!counted.has(seq)) lost++;
      for (const times of counted.values()) if (times > 1) duplicated += times - 1;
    }
    assert.equal(lost, 0, 'events lost from their windows');
    assert.equal(duplicated, 0, 'events counted twice in a window');
    assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()), 'every window equals the batch recomputation');
    const byId = (results: Array<ResultRecord<number[]>>): Array<[string, number[]]> => results.map((r): [string, number[]] => [r.id, r.value]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(byId(spread), byId(single), 'the same results, with the same ids, as one process running every task');
    assert.equal((await readTopicValues(dir.file('runners.db'), 'seq.late')).length, 0);
    assert.equal((await readTopicValues(dir.file('runners.db'), 'seq.dead-letters')).length, 0);
  });
});
