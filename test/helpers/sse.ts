/** Reads Server-Sent Events from a fetch response, for tests of `/api/live`. */

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads an SSE response event by event (one reader: `next` and `end` are not called at once). */
export function sse(response: Response): { next(match: (e: SseEvent) => boolean): Promise<SseEvent>; end(): Promise<void>; close(): void } {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: SseEvent[] = [];
  let done = false;
  const pull = async (): Promise<void> => {
    const { value, done: finished } = await reader.read();
    if (finished) {
      done = true;
      return;
    }
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) queue.push({ event, data: JSON.parse(data) });
    }
  };
  return {
    async next(match) {
      for (;;) {
        const index = queue.findIndex(match);
        if (index >= 0) return queue.splice(0, index + 1).at(-1)!;
        if (done) throw new Error('the stream ended');
        await pull();
      }
    },
    async end() {
      while (!done) await pull();
    },
    close: () => void reader.cancel().catch(() => {}),
  };
}
