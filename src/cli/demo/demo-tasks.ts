/**
 * @module cli/demo/demo-tasks
 * The demo's task module, loaded by each worker thread: the map side of a
 * word count, with a combiner. Documents arrive as blob references
 * (claim-check) and the handler reads them from the blob store, so only
 * metadata crosses the queue; the counts of all documents in the split are
 * combined before they are returned.
 */
import { defineTask } from '../../workers/task-definition.js';
import type { BlobRef } from '../../ports/blob-store.js';

/** A split of the corpus: several documents, so each task's partial counts are combined before they travel. */
export interface CountWordsInput {
  documents: BlobRef[];
}

/** Word → count within one document. */
export interface CountWordsOutput {
  words: number;
  counts: Record<string, number>;
}

export const countWords = defineTask('count-words', async (input: CountWordsInput, context): Promise<CountWordsOutput> => {
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  let words = 0;
  for (const ref of input.documents) {
    const text = Buffer.from(await context.blobs.get(ref)).toString('utf8');
    for (const word of text.split(/\s+/)) {
      if (word.length === 0) continue;
      counts[word] = (counts[word] ?? 0) + 1;
      words++;
    }
    context.heartbeat();
  }
  return { words, counts: { ...counts } };
}, { retry: { maxAttempts: 3 }, timeoutMs: 30_000 });
