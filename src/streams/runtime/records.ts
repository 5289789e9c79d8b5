/**
 * @module streams/runtime/records
 * The records the runtime writes to the Log, and their deterministic ids.
 *
 * ```
 *  <name>.keyed         mapper → window tasks, one partition per window task:
 *                         { t: 'e', k, time, v, src }   an event (src = its input position)
 *                         { t: 'p', k, time, acc, … }   events combined on the map side (combiner.ts)
 *                         { t: 'w', p, w }              source partition p's watermark
 *                         { t: 'i', p }                 source partition p is idle
 *                         { t: 'end', p }               source partition p ended (bounded runs)
 *  <name>.dead-letters  StreamDeadLetter: an input that could not be parsed, keyed or timed, with the reason
 *  <name>.late          LateRecord: an event past the allowed lateness
 *  sink topics          ResultRecord: one window result
 * ```
 *
 * Ids are built from input positions and window bounds, never from a
 * clock or a counter, so a replay or a re-run after a crash gives each
 * record the id it had: a consumer can drop repeats by id.
 */
import type { StreamKey } from '../stream-key.js';
import type { ResultKind } from '../windows/window-output.js';

/** A record of the internal keyed topic. */
export type KeyedRecord =
  | { t: 'e'; k: StreamKey; time: number; v: unknown; src: string }
  | { t: 'p'; k: StreamKey; time: number; acc: string; srcs: string[]; times: number[] }
  | { t: 'w'; p: number; w: number }
  | { t: 'i'; p: number }
  | { t: 'end'; p: number };

/** Why an input went to the dead-letter topic. */
export type StreamDeadLetterReason = 'step-failed' | 'invalid-key' | 'invalid-time' | 'before-landmark';

/** A record of `<name>.dead-letters`. */
export interface StreamDeadLetter {
  id: string;
  stream: string;
  reason: StreamDeadLetterReason;
  message: string;
  /** The step that threw, for `step-failed`. */
  step?: string;
  /** Where the input came from: `topic/partition/offset`. */
  input: string;
  value: unknown;
}

/** A record of `<name>.late`. */
export interface LateRecord {
  id: string;
  key: StreamKey;
  time: number;
  value: unknown;
  /** The window task's watermark when the event arrived. */
  watermark: number;
  /** Set when the event was combined on the map side: `value` is then null (see combiner.ts). */
  combined?: true;
}

/** One window result, as written to a sink topic. */
export interface ResultRecord<Out = unknown> {
  /** `<stream>/<start>/<end>/<key as JSON>/<kind>`, plus `@<input position>` for updates and early results (a range has one final result per key, but may have several of the others). */
  id: string;
  key: StreamKey;
  start: number;
  end: number;
  kind: ResultKind;
  value: Out;
}

/** `topic/partition/offset`, plus `#i` for the i-th element a `flatMap` made of one input. */
export function inputPosition(topic: string, partition: number, offset: number, element = 0): string {
  return element === 0 ? `${topic}/${partition}/${offset}` : `${topic}/${partition}/${offset}#${element}`;
}

/** A result's id (see {@link ResultRecord.id}). */
export function resultId(stream: string, start: number, end: number, key: StreamKey, kind: ResultKind, at: string): string {
  const base = `${stream}/${start}/${end}/${JSON.stringify(key)}/${kind}`;
  return kind === 'final' ? base : `${base}@${at}`;
}

/** A key as the text its Log records are keyed (and hash-partitioned) by. */
export function keyText(key: StreamKey): string {
  return typeof key === 'number' ? `n:${key}` : key;
}

/** The internal topic names of pipeline run `runId`. */
export function internalTopics(runId: string): { keyed: string; deadLetters: string; late: string } {
  return { keyed: `${runId}.keyed`, deadLetters: `${runId}.dead-letters`, late: `${runId}.late` };
}
