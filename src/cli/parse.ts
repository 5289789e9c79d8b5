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
