/**
 * The seeded scenario runner every `scenario-NN-*.test.ts` uses. A run has
 * a seed (`MILLRACE_FAULT_SEED`, default 7) from which every random choice
 * of the scenario is drawn, so a failing run repeats exactly with its seed;
 * a scale (`MILLRACE_FAULT_SCALE=large` under `npm run faults`, small under
 * `npm test`); a temporary directory holding its ledger; and a tally of the
 * faults it injected. `report` prints the standard line
 *
 *   fault-run scenario=01-kill-worker seed=7 scale=small faults=kill:2,… expected=… lost=0 duplicated=0 unexpected=0 detected=0
 *
 * and, when `MILLRACE_FAULT_RESULTS` names a file, appends the same as one
 * JSON line to it (how `npm run faults` gathers its totals).
 */
import { appendFileSync } from 'node:fs';
import { seededRandom } from '../../../src/core/seeded-random.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import type { LedgerCheck } from './checker.js';
import { Ledger } from './ledger.js';

/** One line of results, as printed and as gathered by `npm run faults`. */
export interface ScenarioResult {
  scenario: string;
  seed: number;
  scale: 'small' | 'large';
  /** Faults injected, by kind. */
  faults: Record<string, number>;
  expected: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  /** Corruptions (or other faults) the engine detected and reported. */
  detected: number;
  /** Scenario-specific figures (redeliveries, dead letters …). */
  notes: Record<string, number | string>;
}

export interface ScenarioRun {
  readonly name: string;
  readonly seed: number;
  readonly scale: 'small' | 'large';
  /** Seeded: the same seed gives the same choices. */
  readonly random: () => number;
  readonly dir: TempDir;
  /** The ledger file: pass it to child processes and task inputs. */
  readonly ledgerPath: string;
  readonly ledger: Ledger;
  /** `small` under `npm test`, `large` under `npm run faults`. */
  size(small: number, large: number): number;
  /** A seeded integer in [min, max]. */
  between(min: number, max: number): number;
  /** Counts `times` injected faults of `kind`. */
  inject(kind: string, times?: number): void;
  readonly faults: Readonly<Record<string, number>>;
  /** Prints (and gathers) the run's standard line; returns the result. */
  report(outcome: { check?: LedgerCheck; detected?: number; notes?: Record<string, number | string> }): ScenarioResult;
  /** Closes the ledger and removes the directory. */
  close(): void;
}

export function startScenario(name: string): ScenarioRun {
  const seed = Number(process.env.MILLRACE_FAULT_SEED ?? 7);
  if (!Number.isInteger(seed)) throw new Error(`MILLRACE_FAULT_SEED must be an integer, got ${process.env.MILLRACE_FAULT_SEED}`);
  const scale = process.env.MILLRACE_FAULT_SCALE === 'large' ? 'large' : 'small';
  // Each scenario draws from its own sequence, so adding a draw to one leaves the others' schedules alone.
  const random = seededRandom(seed ^ hash(name));
  const dir = createTempDir(`millrace-fault-${name}-`);
  const ledgerPath = dir.file('ledger.db');
  const ledger = new Ledger(ledgerPath);
  const faults: Record<string, number> = {};
  return {
    name, seed, scale, random, dir, ledgerPath, ledger, faults,
    size: (small, large) => (scale === 'large' ? large : small),
    between: (min, max) => min + Math.floor(random() * (max - min + 1)),
    inject: (kind, times = 1) => {
      faults[kind] = (faults[kind] ?? 0) + times;
    },
    report: ({ check, detected = 0, notes = {} }) => {
      const result: ScenarioResult = {
        scenario: name, seed, scale, faults: { ...faults },
        expected: check?.expected ?? 0, lost: check?.lost ?? 0, duplicated: check?.duplicated ?? 0, unexpected: check?.unexpected ?? 0,
        detected, notes,
      };
      process.stdout.write(`${formatResult(result)}\n`);
      const sink = process.env.MILLRACE_FAULT_RESULTS;
      if (sink !== undefined && sink !== '') appendFileSync(sink, `${JSON.stringify(result)}\n`);
      return result;
    },
    close: () => {
      ledger.close();
      dir.remove();
    },
  };
}

/** The standard line. */
export function formatResult(result: ScenarioResult): string {
  const faults = Object.entries(result.faults).map(([kind, n]) => `${kind}:${n}`).join(',') || 'none';
  const notes = Object.entries(result.notes).map(([key, value]) => ` ${key}=${value}`).join('');
  return `fault-run scenario=${result.scenario} seed=${result.seed} scale=${result.scale} faults=${faults} expected=${result.expected} ` +
    `lost=${result.lost} duplicated=${result.duplicated} unexpected=${result.unexpected} detected=${result.detected}${notes}`;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
