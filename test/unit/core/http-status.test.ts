/** The one code → HTTP status table: the statuses clients rely on, and what stays a 500. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { httpStatusOf } from '../../../src/core/http-status.js';

describe('httpStatusOf', () => {
  it('answers the statuses clients branch on', () => {
    const expected: Record<string, number> = {
      REQUEST_INVALID: 400, CONFIG_INVALID: 400, QUERY_INVALID: 400, CODEC_TOO_LARGE: 413,
      PROCESS_NOT_FOUND: 404, DATASET_NOT_FOUND: 404, LOG_TOPIC_NOT_FOUND: 404, QUEUE_MESSAGE_NOT_FOUND: 404, NOT_FOUND: 404,
      TASK_NOT_RETRYABLE: 409, DATASET_EXISTS: 409, QUERY_CANCELLED: 499,
      NOT_AVAILABLE: 503, QUERY_OVERLOADED: 503, QUERY_DEADLINE_EXCEEDED: 504,
    };
    for (const [code, status] of Object.entries(expected)) assert.equal(httpStatusOf(code), status, code);
  });

  it('leaves server faults, lost data and anything unknown to a 500', () => {
    for (const code of ['STORAGE_CORRUPT', 'BLOB_NOT_FOUND', 'BLOB_HASH_MISMATCH', 'QUEUE_CLOSED', 'constructor', 'toString', 'FST_ERR_X', undefined, 42]) {
      assert.equal(httpStatusOf(code), undefined, String(code));
    }
  });
});
