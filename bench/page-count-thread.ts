/**
 * @module bench/page-count-thread
 * A worker thread of the `parallel-ceiling` row: counts pages in the byte
 * ranges it is sent (see `page-count.ts`) and sends the counts back as JSON
 * text (one string is cheaper to pass between threads than a wide object).
 */
import { parentPort } from 'node:worker_threads';
import { countPageRange } from './page-count.js';

/** A share of the file to count. */
export interface CountRequest {
  path: string;
  start: number;
  end: number;
}

parentPort!.on('message', (request: CountRequest) => {
  const counts = new Map<string, number>();
  countPageRange(request.path, request.start, request.end, counts).then(
    () => parentPort!.postMessage({ ok: true, counts: JSON.stringify([...counts]) }),
    (error: unknown) => parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
