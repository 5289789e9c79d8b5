/** Small hooks shared by the pages. */
import { useEffect, useState } from 'preact/hooks';

/** The current time, re-read every `ms` while mounted (for running durations). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
