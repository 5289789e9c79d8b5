/**
 * @module adapters/s3/s3-upload
 * Sends a staged body to S3 as one object, atomically: a single `PutObject`
 * when it fits in one part, else a multipart upload whose object appears
 * only at `CompleteMultipartUpload`. Either request can carry
 * `If-None-Match: *`, so the server itself refuses to replace an existing
 * key (the immutability guard; see `S3BlobStore.put`).
 *
 * ```
 *  CreateMultipartUpload (metadata: sha256, size)
 *    ├─ UploadPart 1 ┐
 *    ├─ UploadPart 2 ├─ partConcurrency at a time, each read from the stage
 *    ├─ …            ┘
 *  CompleteMultipartUpload (If-None-Match: *)   ← the object appears here, whole
 *  on any failure: AbortMultipartUpload (best effort)
 * ```
 *
 * Errors are the SDK's, unmapped: the caller needs to tell a lost
 * conditional write (412) from other failures before mapping.
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import type { StagedBody } from './s3-staging.js';

/** S3 allows at most this many parts per upload. */
const MAX_PARTS = 10_000;
const MiB = 1024 * 1024;

/** Where and how an object is written. */
export interface UploadTarget {
  bucket: string;
  objectKey: string;
  metadata: Record<string, string>;
  /** Send `If-None-Match: *` so the write fails (412) if the key exists. */
  ifNoneMatch: boolean;
  partSizeBytes: number;
  partConcurrency: number;
}

/** Writes `staged` as the object `target.objectKey`. */
export async function uploadStaged(client: S3Client, target: UploadTarget, staged: StagedBody): Promise<void> {
  if (staged.bytes !== undefined && staged.size <= target.partSizeBytes) {
    await client.send(new PutObjectCommand({
      Bucket: target.bucket,
      Key: target.objectKey,
      Body: staged.bytes,
      ContentLength: staged.size,
      ContentType: 'application/octet-stream',
      Metadata: target.metadata,
      // The hash is already known: S3 checks the bytes against it on arrival (servers that do not, ignore it).
      ChecksumSHA256: Buffer.from(staged.sha256, 'hex').toString('base64'),
      IfNoneMatch: target.ifNoneMatch ? '*' : undefined,
    }));
    return;
  }
  await uploadMultipart(client, target, staged);
}

async function uploadMultipart(client: S3Client, target: UploadTarget, staged: StagedBody): Promise<void> {
  // A body too large for 10 000 parts of the configured size gets larger parts (whole MiB).
  const partSize = Math.max(target.partSizeBytes, Math.ceil(staged.size / MAX_PARTS / MiB) * MiB);
  const partCount = Math.max(1, Math.ceil(staged.size / partSize));
  const created = await client.send(new CreateMultipartUploadCommand({
    Bucket: target.bucket, Key: target.objectKey, ContentType: 'application/octet-stream', Metadata: target.metadata,
  }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
  try {
    const parts: CompletedPart[] = new Array<CompletedPart>(partCount);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < partCount) {
        const index = next++;
        const offset = index * partSize;
        const length = Math.min(partSize, staged.size - offset);
        let sent;
        try {
          const body = await staged.read(offset, length);
          sent = await client.send(new UploadPartCommand({
            Bucket: target.bucket, Key: target.objectKey, UploadId: uploadId, PartNumber: index + 1, Body: body, ContentLength: length,
          }));
        } catch (error) {
          failed = true; // the other workers stop taking parts
          throw error;
        }
        // Part checksums the SDK may have added must be repeated at completion (as the SDK's own uploader does).
        parts[index] = {
          PartNumber: index + 1, ETag: sent.ETag,
          ChecksumCRC32: sent.ChecksumCRC32, ChecksumCRC32C: sent.ChecksumCRC32C, ChecksumCRC64NVME: sent.ChecksumCRC64NVME,
          ChecksumSHA1: sent.ChecksumSHA1, ChecksumSHA256: sent.ChecksumSHA256,
        };
      }
    };
    await settleAll(Array.from({ length: Math.min(target.partConcurrency, partCount) }, worker));
    await client.send(new CompleteMultipartUploadCommand({
      Bucket: target.bucket, Key: target.objectKey, UploadId: uploadId,
      MultipartUpload: { Parts: parts },
      IfNoneMatch: target.ifNoneMatch ? '*' : undefined,
    }));
  } catch (error) {
    // Best effort: parts left behind cost storage until a lifecycle rule
    // (AbortIncompleteMultipartUpload) removes them; the put's own error matters more.
    await client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.objectKey, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}

/**
 * Waits for every worker, then rethrows the first failure. (`Promise.all`
 * would reject at once and let the abort race part uploads still in flight.)
 */
async function settleAll(workers: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(workers);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
