/**
 * @module cli/parse
 * Value parsers for CLI options: a bad value is one clear line and exit
 * code 2, like an unknown flag.
 */
import { InvalidArgumentError } from 'commander';
import { decodeJson } from '../core/json-codec.js';

/** An integer within bounds. */
export function intOption(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** A JSON document, parsed with the engine's limits. */
export function jsonOption(value: string): unknown {
  try {
    return decodeJson(value, { maxBytes: 1024 * 1024 });
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A comma-separated list of tags: letters, digits, `.`, `_`, `-`; up to 32 of up to 64 characters. */
export function tagsOption(value: string): string[] {
  const tags = value.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  const bad = tags.find((tag) => !/^[A-Za-z0-9._-]{1,64}$/.test(tag));
  if (bad !== undefined) throw new InvalidArgumentError(`tag "${bad}" may only hold letters, digits, ".", "_" and "-" (up to 64)`);
  if (tags.length > 32) throw new InvalidArgumentError(`at most 32 tags, got ${tags.length}`);
  return [...new Set(tags)];
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `90s`, `30m`, `24h`, `7d` (or plain milliseconds), at least `minMs`; in milliseconds. */
export function durationOption(minMs: number): (value: string) => number {
  return (value) => {
    const match = /^(\d{1,12})(ms|s|m|h|d)?$/.exec(value.trim());
    const ms = match === null ? Number.NaN : Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']!;
    if (!Number.isSafeInteger(ms) || ms < minMs) {
      throw new InvalidArgumentError(`expected a duration of at least ${minMs} ms such as 30m, 24h or 7d, got "${value}"`);
    }
    return ms;
  };
}
