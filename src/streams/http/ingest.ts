/**
 * @module streams/http/ingest
 * HTTP ingest: a request's events, checked, appended to a Log topic in one
 * batch (all or none). A body is a JSON array of events, or NDJSON — one
 * event a line, empty lines skipped. Each event becomes one record whose
 * value is the event; `key` names a field whose value keys the record (so
 * a key's events stay in one partition, in order).
 */
import { encodeJson, decodeJson } from '../../core/json-codec.js';
import type { Log } from '../../ports/log.js';

/** A request error that names what is wrong (a 400, or a 413 for too many events). */
export class IngestError extends Error {
  constructor(readonly code: 'REQUEST_INVALID' | 'CODEC_TOO_LARGE', message: string) {
    super(message);
    this.name = 'IngestError';
  }
}

/** A stream's internal topics (`<run>.keyed`, `.late`, `.dead-letters`, `.dials`): never open to ingest. */
export function isInternalTopic(topic: string): boolean {
  return /\.(keyed|late|dead-letters|dials)$/.test(topic);
}

/** The events of a request body: a parsed JSON array, or NDJSON text. */
export function parseIngestBody(body: unknown, contentType: string | undefined, maxEvents: number): unknown[] {
  let events: unknown[];
  if (typeof body === 'string' && (contentType ?? '').startsWith('application/x-ndjson')) {
    events = [];
    const lines = body.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      if (events.length === maxEvents) throw tooMany(maxEvents);
      try {
        events.push(decodeJson(line));
      } catch (error) {
        throw new IngestError('REQUEST_INVALID', `line ${i + 1}: ${(error as Error).message}`);
      }
    }
  } else if (Array.isArray(body)) {
    events = body;
    if (events.length > maxEvents) throw tooMany(maxEvents);
    events.forEach((event, i) => {
      try {
        encodeJson(event); // depth and forbidden keys, as the Log will check them
      } catch (error) {
        throw new IngestError('REQUEST_INVALID', `event ${i}: ${(error as Error).message}`);
      }
    });
  } else {
    throw new IngestError('REQUEST_INVALID', 'the body must be a JSON array of events (content-type application/json), or one event a line (application/x-ndjson)');
  }
  if (events.length === 0) throw new IngestError('REQUEST_INVALID', 'the body holds no events');
  return events;
}

/**
 * Appends `events` to `topic` in one batch; returns each one's position.
 * @throws `LOG_TOPIC_NOT_FOUND`; `IngestError` when `keyField` is given and an event has no usable key
 */
export async function ingestEvents(log: Log, topic: string, events: readonly unknown[], keyField?: string): Promise<Array<{ partition: number; offset: number }>> {
  await log.topicInfo(topic);
  const records = events.map((event, i) => {
    if (keyField === undefined) return { value: event };
    const key = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>)[keyField] : undefined;
    if (!(typeof key === 'string' && key !== '') && !(typeof key === 'number' && Number.isFinite(key))) {
      throw new IngestError('REQUEST_INVALID', `event ${i}: no string or number field ${JSON.stringify(keyField)} to key it by`);
    }
    return { key: String(key), value: event };
  });
  return log.append(topic, records);
}

function tooMany(maxEvents: number): IngestError {
  return new IngestError('CODEC_TOO_LARGE', `more than ${maxEvents} events in one request; send them in several`);
}
