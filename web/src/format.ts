/** Times and durations as the pages show them. */
export function formatTime(epochMs: number | undefined): string {
  if (epochMs === undefined) return '—';
  const date = new Date(epochMs);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Start to end, or to now while it runs. */
export function elapsed(startedAt: number | undefined, finishedAt: number | undefined, now: number): number | undefined {
  if (startedAt === undefined) return undefined;
  return (finishedAt ?? now) - startedAt;
}
