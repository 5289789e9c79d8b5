/**
 * @module cli/demo/demo-tasks
 * The demo's task module, loaded by each worker thread: the map side of a
 * word count. A document arrives as a blob reference (claim-check) and the
 * handler reads it from the blob store, so only metadata crosses the queue.
 */
import { defineTask } from '../../workers/task-definition.js';
import type { BlobRef } from '../../ports/blob-store.js';

export interface CountWordsInput {
  document: BlobRef;
}

/** Word → count within one document. */
export interface CountWordsOutput {
  words: number;
  counts: Record<string, number>;
}

export const countWords = defineTask('count-words', async (input: CountWordsInput, context): Promise<CountWordsOutput> => {
  const text = Buffer.from(await context.blobs.get(input.document)).toString('utf8');
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  let words = 0;
  for (const word of text.split(/\s+/)) {
    if (word.length === 0) continue;
    counts[word] = (counts[word] ?? 0) + 1;
    words++;
  }
  return { words, counts: { ...counts } };
}, { retry: { maxAttempts: 3 }, timeoutMs: 30_000 });
