/**
 * The checker: compares the keys a scenario expected to be applied with the
 * keys its ledger recorded, like a Jepsen checker over a history. A key
 * expected but never recorded is **lost**; a key recorded more than once is
 * **duplicated** (counted once per extra application); a key recorded but
 * never expected is **unexpected** (an effect nobody asked for, or one
 * applied from corrupt input).
 */

/** What the checker found. `*Keys` hold the first few offenders, for the failure message. */
export interface LedgerCheck {
  expected: number;
  recorded: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  lostKeys: string[];
  duplicatedKeys: string[];
  unexpectedKeys: string[];
}

const SAMPLE = 5;

export function checkLedger(expected: Iterable<string>, recorded: readonly string[]): LedgerCheck {
  const wanted = new Set(expected);
  const seen = new Map<string, number>();
  for (const key of recorded) seen.set(key, (seen.get(key) ?? 0) + 1);
  const lostKeys = [...wanted].filter((key) => !seen.has(key));
  const duplicatedKeys = [...seen].filter(([key, times]) => times > 1 && wanted.has(key)).map(([key]) => key);
  const unexpectedKeys = [...seen.keys()].filter((key) => !wanted.has(key));
  let duplicated = 0;
  for (const key of duplicatedKeys) duplicated += seen.get(key)! - 1;
  return {
    expected: wanted.size,
    recorded: recorded.length,
    lost: lostKeys.length,
    duplicated,
    unexpected: unexpectedKeys.reduce((total, key) => total + seen.get(key)!, 0),
    lostKeys: lostKeys.slice(0, SAMPLE),
    duplicatedKeys: duplicatedKeys.slice(0, SAMPLE),
    unexpectedKeys: unexpectedKeys.slice(0, SAMPLE),
  };
}

/** The counts only, for assertions: `assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 })`. */
export function counts(check: LedgerCheck): { lost: number; duplicated: number; unexpected: number } {
  return { lost: check.lost, duplicated: check.duplicated, unexpected: check.unexpected };
}
