/**
 * Every recorded history in test/fixtures/histories/ replays through the
 * current decider and fold with identical events: the event schema and the
 * decisions cannot change unnoticed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { replayHistory, type RecordedHistory } from '../../../src/testing/index.js';
import * as processes from '../../fixtures/processes.js';

const folder = new URL('../../fixtures/histories/', import.meta.url);
const definitions = Object.values(processes);

describe('recorded histories', () => {
  const files = readdirSync(folder).filter((f) => f.endsWith('.json'));
  it('has histories to replay', () => assert.ok(files.length >= 5));
  for (const file of files) {
    it(`replays ${file}`, () => {
      const history = JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as RecordedHistory;
      replayHistory(history, definitions);
    });
  }

  it('fails, naming the entry, when the code decides differently', () => {
    const history = JSON.parse(readFileSync(new URL('flaky-retries.json', folder), 'utf8')) as RecordedHistory;
    const tampered = structuredClone(history);
    const entry = tampered.entries.find((e) => e.events.some((ev) => ev.type === 'TaskRetried'))!;
    const retried = entry.events.find((ev) => ev.type === 'TaskRetried') as { data: { delayMs: number } };
    retried.data.delayMs += 1;
    assert.throws(() => replayHistory(tampered, definitions), /events at entry \d+ \(FailTask\) of "flaky: each task fails once and is retried with backoff" differ/);
  });
});
