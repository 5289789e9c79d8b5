/**
 * @module queries/format/write-dataset-file
 * Streams scans into a new dataset file blob: the encoder's records go to
 * `BlobStore.put` as they are produced, so a file of any size is written
 * holding only the bands being filled.
 */
import type { BlobRef, BlobStore } from '../../ports/blob-store.js';
import { DatasetFileEncoder, type DatasetFileEncoderOptions, type EncodedFileSummary, type ScanRow } from './dataset-file-encoder.js';

/** Encodes `scans` and stores them under `key`. */
export async function writeDatasetFile(
  blobs: BlobStore,
  key: string,
  options: DatasetFileEncoderOptions,
  scans: AsyncIterable<ScanRow> | Iterable<ScanRow>,
): Promise<{ ref: BlobRef; summary: EncodedFileSummary }> {
  const encoder = new DatasetFileEncoder(options);
  let summary: EncodedFileSummary | undefined;
  async function* bytes(): AsyncIterable<Uint8Array> {
    yield encoder.start();
    for await (const scan of scans) yield* encoder.push(scan);
    const end = encoder.finish();
    summary = end.summary;
    yield* end.chunks;
  }
  const ref = await blobs.put(key, bytes());
  return { ref, summary: summary! };
}
