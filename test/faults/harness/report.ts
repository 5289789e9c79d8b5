/**
 * Totals of many fault runs: per scenario, the runs, faults injected,
 * expected effects, lost, duplicated, unexpected and detected counts, as
 * text for the terminal and as a Markdown table for docs/reliability.md,
 * where it replaces what lies between the report markers (the rest of that
 * file is written by hand).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { ScenarioResult } from './scenario.js';

export const REPORT_START = '<!-- fault-report:start -->';
export const REPORT_END = '<!-- fault-report:end -->';

export interface RunInfo {
  runs: number;
  passedRuns: number;
  firstSeed: number;
  scale: string;
  seconds: number;
}

interface Totals {
  runs: number;
  faults: number;
  expected: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  detected: number;
}

export function summarise(results: readonly ScenarioResult[], info: RunInfo): { text: string; markdown: string } {
  const byScenario = new Map<string, Totals>();
  for (const result of results) {
    const totals = byScenario.get(result.scenario) ?? { runs: 0, faults: 0, expected: 0, lost: 0, duplicated: 0, unexpected: 0, detected: 0 };
    totals.runs++;
    totals.faults += Object.values(result.faults).reduce((a, b) => a + b, 0);
    totals.expected += result.expected;
    totals.lost += result.lost;
    totals.duplicated += result.duplicated;
    totals.unexpected += result.unexpected;
    totals.detected += result.detected;
    byScenario.set(result.scenario, totals);
  }
  const rows = [...byScenario].sort(([a], [b]) => a.localeCompare(b));
  const header = ['scenario', 'runs', 'faults injected', 'effects expected', 'lost', 'duplicated', 'unexpected', 'detected'];
  const cells = rows.map(([name, t]) => [name, t.runs, t.faults, t.expected, t.lost, t.duplicated, t.unexpected, t.detected].map(String));
  const text = [header.join('  '), ...cells.map((row) => row.join('  '))].join('\n');
  const markdown = [
    `Last long run: ${info.runs} run(s) of every scenario at scale \`${info.scale}\`, seeds ${info.firstSeed}–${info.firstSeed + info.runs - 1}, ` +
      `${info.passedRuns}/${info.runs} runs passed, ${info.seconds} s in all (${new Date().toISOString().slice(0, 10)}; produced by \`npm run faults -- --runs ${info.runs} --seed ${info.firstSeed} --report\`).`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...cells.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  return { text, markdown };
}

/** Replaces the text between the markers of `path` with `markdown`. */
export function writeReport(path: string, markdown: string): void {
  const current = readFileSync(path, 'utf8');
  const start = current.indexOf(REPORT_START);
  const end = current.indexOf(REPORT_END);
  if (start < 0 || end < start) throw new Error(`${path} lacks the ${REPORT_START} … ${REPORT_END} markers`);
  writeFileSync(path, `${current.slice(0, start + REPORT_START.length)}\n${markdown}\n${current.slice(end)}`);
}
