/**
 * Fault: the stream runs in a child process that is SIGKILLed every N
 * events it handles (in the mapper or the window stage, mid-batch), and is
 * restarted from its checkpoints each time. Afterwards every event is in
 * exactly the windows it belongs to — per key, each window's sequence
 * numbers equal a batch recomputation's — and no record is written twice:
 * zero lost, zero duplicated.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { KeyedRecord, ResultRecord } from '../../src/streams/runtime/records.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { readTopicValues, writeSequenceLog } from './support/sequence-log.js';
import { expectedWindows, sequenceEvents } from './kill-stream-pipeline.js';

const child = new URL('./kill-stream-child.ts', import.meta.url).pathname;
const EVENTS = 12_000;
const KILL_EVERY = 4_000;

function runChild(path: string, killAfter: number): Promise<'done' | 'killed'> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, path, String(killAfter)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('exit', (code, signal) => {
      if (stdout.includes('done')) resolve('done');
      else if (signal === 'SIGKILL') resolve('killed');
      else reject(new Error(`stream exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe('fault: SIGKILL of a stream every N events', () => {
  let dir: TempDir;
  const events = sequenceEvents(EVENTS);
  before(async () => {
    dir = createTempDir('millrace-kill-stream-');
    await writeSequenceLog(dir.file('clean.db'), events);
    await writeSequenceLog(dir.file('faulty.db'), events);
  });
  after(() => dir.remove());

  it('counts every event in exactly its windows after repeated kills, as a batch recomputation does', async () => {
    assert.equal(await runChild(dir.file('clean.db'), 0), 'done');
    const outcomes: string[] = [];
    for (let run = 0; run < 40 && outcomes.at(-1) !== 'done'; run++) outcomes.push(await runChild(dir.file('faulty.db'), KILL_EVERY));
    process.stdout.write(`# kill-stream: events=${EVENTS} killEvery=${KILL_EVERY} runs=${outcomes.join(',')}\n`);
    assert.equal(outcomes.at(-1), 'done');
    assert.ok(outcomes.filter((o) => o === 'killed').length >= 3, `killed at least 3 times (${outcomes.join(', ')})`);

    // Exactly once into the keyed topic: each event once.
    const keyed = (await readTopicValues(dir.file('faulty.db'), 'seq.keyed')) as KeyedRecord[];
    const sources = keyed.flatMap((r) => (r.t === 'e' ? [r.src] : []));
    assert.equal(sources.length, EVENTS, 'events in the keyed topic');
    assert.equal(new Set(sources).size, EVENTS, 'no event twice in the keyed topic');

    const expected = expectedWindows(events);
    for (const db of ['clean.db', 'faulty.db']) {
      const results = (await readTopicValues(dir.file(db), 'seq-windows')) as Array<ResultRecord<number[]>>;
      const ids = results.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length, `${db}: no result written twice`);
      assert.ok(results.every((r) => r.kind === 'final'));
      const actual = new Map(results.map((r) => [`${String(r.key)}@${r.start}-${r.end}`, r.value]));
      let lost = 0;
      let duplicated = 0;
      for (const [window, seqs] of expected) {
        const got = actual.get(window) ?? [];
        const counted = new Map<number, number>();
        for (const seq of got) counted.set(seq, (counted.get(seq) ?? 0) + 1);
        for (const seq of seqs) if (!counted.has(seq)) lost++;
        for (const times of counted.values()) if (times > 1) duplicated += times - 1;
      }
      assert.equal(lost, 0, `${db}: events lost from their windows`);
      assert.equal(duplicated, 0, `${db}: events counted twice in a window`);
      assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()), `${db}: every window equals the batch recomputation`);
    }
    assert.equal((await readTopicValues(dir.file('faulty.db'), 'seq.late')).length, 0);
    assert.equal((await readTopicValues(dir.file('faulty.db'), 'seq.dead-letters')).length, 0);
  });
});
