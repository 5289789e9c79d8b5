/**
 * `millrace blobs gc [--ttl 24h] [--dry-run] [--json]`: one round of
 * orphan-blob collection now, the same the orchestrator runs every hour
 * (see `jobs/blob-collector` for what is removed and why the rest stays).
 * Prints each blob removed and, by reason, how many were kept.
 */
import type { Command } from 'commander';
import type { BlobCollection } from '../../jobs/blob-collector.js';
import { createMillrace } from '../../runtime/millrace.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';
import { durationOption } from '../parse.js';

export function registerBlobs(program: Command): void {
  const blobs = program.command('blobs').description('the blob store: collect orphan blobs');
  blobs
    .command('gc')
    .description('delete orphan blobs older than the TTL: claim-check payloads nothing refers to, MapReduce intermediates of ended processes')
    .option('--ttl <duration>', 'only blobs last written longer ago than this (e.g. 30m, 24h, 7d); at least one minute', durationOption(60_000))
    .option('--dry-run', 'report what would be removed, remove nothing')
    .option('--json', `${JSON_FLAG_HELP}: { dryRun, ttlMs, cutoff, removed: [{ key, size, modifiedAt }], kept: [{ key, reason }] }`)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (flags: { ttl?: number; dryRun?: boolean; json?: boolean; dataDir?: string }) => {
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        const collection = await millrace.orchestrator.collectBlobs({ ttlMs: flags.ttl ?? millrace.config.blobTtlMs, dryRun: flags.dryRun === true });
        if (flags.json) printJson(collection);
        else process.stdout.write(describeCollection(collection));
      } finally {
        await millrace.close();
      }
    });
}

/** The text report: one line per removed blob, then the totals and the kept blobs by reason. */
export function describeCollection(collection: BlobCollection): string {
  const verb = collection.dryRun ? 'would remove' : 'removed';
  const lines = collection.removed.map((blob) => `${verb} ${blob.key} (${blob.size} bytes, written ${new Date(blob.modifiedAt).toISOString()})`);
  const byReason = new Map<string, number>();
  for (const { reason } of collection.kept) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  const kept = [...byReason].map(([reason, count]) => `${count} ${reason}`).join(', ');
  const bytes = collection.removed.reduce((sum, blob) => sum + blob.size, 0);
  lines.push(`${verb} ${collection.removed.length} blob(s), ${bytes} bytes, older than ${collection.ttlMs / 3_600_000} h; kept ${collection.kept.length}${kept === '' ? '' : ` (${kept})`}`);
  return `${lines.join('\n')}\n`;
}
