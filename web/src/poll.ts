/**
 * Polling for the pages whose data is not on the live stream (workers,
 * streams, dials): read at once, then every `ms` while mounted, and keep
 * the last good answer when a read fails (the error is shown beside it).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError } from './api.js';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** The route is not on this server (404): a feature it was started without. */
  missing: boolean;
  /** Read again now (after a change made from the page). */
  reload: () => void;
}

export function usePoll<T>(path: string | undefined, ms: number, onData?: (data: T, at: number) => void): Polled<T> {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [missing, setMissing] = useState(false);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async (): Promise<void> => {
      try {
        const body = await api<T>(path);
        if (stopped) return;
        setData(body);
        setError(undefined);
        onData?.(body, Date.now());
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status === 404 && e.code === 'NOT_FOUND') {
          // Not served here; asking again will not change that.
          setMissing(true);
          return;
        }
        setError(describeError(e));
      }
      // The next read is timed from the end of this one, so a slow server is never asked twice at once.
      if (!stopped) timer = setTimeout(() => void read(), ms);
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, ms, round]);
  return { data, error, missing, reload: () => setRound((r) => r + 1) };
}
