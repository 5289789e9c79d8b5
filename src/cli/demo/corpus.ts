/**
 * @module cli/demo/corpus
 * A deterministic synthetic corpus for the demo: pseudo-words drawn from a
 * Zipf distribution (a few words very common, most rare), as in real text.
 * Seeded, so every run counts the same words and the answer can be checked.
 */

const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'sen', 'tu', 'vo', 'ne', 'di', 'pa', 'qua', 'ri', 'zo', 'fe', 'gu', 'shi'];

/** A vocabulary of distinct pseudo-words. */
export function makeVocabulary(size: number, random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 1 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

/** Samples ranks 0..n-1 with probability ∝ 1/(rank+1). */
export function zipfSampler(n: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += 1 / (i + 1);
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** One document of `words` words, 12 to a line. */
export function makeDocument(vocabulary: readonly string[], sample: () => number, words: number): string {
  const parts: string[] = [];
  for (let i = 0; i < words; i++) parts.push(vocabulary[sample()]!, i % 12 === 11 ? '\n' : ' ');
  return parts.join('');
}
