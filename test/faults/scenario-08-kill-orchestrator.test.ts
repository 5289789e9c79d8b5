/**
 * Scenario 8 — orchestrator SIGKILL, repeated.
 * Injects: an embedded engine process (orchestrator and worker threads)
 * running a fan-out is SIGKILLed at seeded moments, several times, and
 * restarted over the same data directory each time. Just before each kill
 * the scenario takes the process state the orchestrator holds in memory.
 * Pass: the state rebuilt from the stored events, up to the version that
 * snapshot had reached, equals the snapshot (every time); the process
 * completes after the restarts with each effect applied once (0 lost,
 * 0 duplicated).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { processStreamId, type ProcessEvent } from '../../src/jobs/process-events.js';
import { foldProcess } from '../../src/jobs/process-state.js';
import { checkLedger, counts } from './harness/checker.js';
import { serialiseState } from './harness/process-snapshot.js';
import { startScenario } from './harness/scenario.js';

const childScript = new URL('./orchestrator-child.ts', import.meta.url).pathname;
const tasksModule = new URL('./scenario-tasks.ts', import.meta.url).href;

/** The engine process, and a way to ask it something and read its answer line. */
class EngineChild {
  private readonly lines: Interface;
  private readonly waiting: Array<{ prefix: string; resolve: (rest: string) => void }> = [];

  private constructor(readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (line) => {
      const index = this.waiting.findIndex((w) => line.startsWith(w.prefix));
      if (index < 0) return;
      const [waiter] = this.waiting.splice(index, 1);
      waiter!.resolve(line.slice(waiter!.prefix.length));
    });
  }

  static async start(dataDir: string): Promise<EngineChild> {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, tasksModule], { stdio: ['pipe', 'pipe', 'inherit'] });
    const engine = new EngineChild(child);
    await engine.next('ready');
    return engine;
  }

  next(prefix: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ prefix, resolve: (rest) => resolve(rest.trim()) });
      this.child.once('exit', (code) => reject(new Error(`engine exited (${code}) while waiting for "${prefix}"`)));
    });
  }

  async ask(command: string, answer: string): Promise<string> {
    const reply = this.next(answer);
    this.child.stdin!.write(`${command}\n`);
    return reply;
  }

  async kill(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

interface Snapshot { eventVersion: number; status: string; output?: string[] }

describe('scenario 8: orchestrator SIGKILL, repeated', () => {
  const run = startScenario('08-kill-orchestrator');
  after(() => run.close());

  it('rebuilds from the events the state it held before each crash, and completes with each effect once', { timeout: 600_000 }, async () => {
    const n = run.size(400, 3_000);
    const kills = run.size(3, 6);
    const dataDir = run.dir.file('data');
    const processId = 'fault-orchestrator-kill';
    const start = `start ${processId} ${JSON.stringify({ n, ledger: run.ledgerPath, delayMs: 3 })}`;
    const snapshots: Snapshot[] = [];
    let engine = await EngineChild.start(dataDir);
    try {
      await engine.ask(start, 'started');
      // Kills aimed at points of the work (the history's length), not of the clock: spread over 10–80 % of
      // the ~2n events a run appends, so each lands mid-run however fast the machine is.
      const targets = Array.from({ length: kills }, () => Math.round(2 * n * (0.1 + 0.7 * run.random()))).sort((a, b) => a - b);
      for (let k = 0; k < kills; k++) {
        let snapshot: Snapshot;
        do {
          await sleep(run.between(5, 30));
          snapshot = JSON.parse(await engine.ask(`snapshot ${processId}`, 'snapshot')) as Snapshot;
        } while (snapshot.status === 'running' && snapshot.eventVersion < targets[k]!);
        await engine.kill();
        run.inject('sigkill-orchestrator');
        snapshots.push(snapshot);
        engine = await EngineChild.start(dataDir);
        if (snapshot.status !== 'running') break;
      }
      let final: Snapshot;
      do {
        await sleep(200);
        final = JSON.parse(await engine.ask(`snapshot ${processId}`, 'snapshot')) as Snapshot;
      } while (final.status === 'running');
      snapshots.push(final);
    } finally {
      await engine.kill();
    }

    // Rebuild each snapshot from the stored events, up to the version it had reached.
    const events = new SqliteEventStore({ path: `${dataDir}/events.db` });
    let mismatches = 0;
    try {
      for (const snapshot of snapshots) {
        const stored = await events.read(processStreamId(processId), { limit: snapshot.eventVersion });
        const rebuilt = serialiseState(foldProcess(stored.map((e) => ({ type: e.type, data: e.data }) as ProcessEvent)));
        try {
          assert.deepEqual(rebuilt, snapshot);
        } catch (error) {
          mismatches++;
          throw error;
        }
      }
    } finally {
      await events.close();
    }
    const final = snapshots.at(-1)!;
    run.ledger.recordAll((final.output ?? []).map((key) => ({ kind: 'applied', key })));
    const check = checkLedger(Array.from({ length: n }, (_, i) => `effect-${i}`), run.ledger.keys('applied'));
    const executed = checkLedger(Array.from({ length: n }, (_, i) => `effect-${i}`), run.ledger.keys('executed'));
    run.report({ check, notes: { snapshotsCompared: snapshots.length, mismatches, reexecuted: executed.duplicated } });

    assert.equal(final.status, 'completed');
    assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(check));
    assert.ok(snapshots.length >= 2 && snapshots.slice(0, -1).some((s) => s.status === 'running'), 'a kill landed mid-run');
  });
});
