/**
 * @module examples/hit-rate
 * Hits per page over a sliding 24 h window, from the access logs page-hits
 * counts in batch. See README.md.
 */
export { hitRate, parseHit, totalHits, DAY_MS, HOUR_MS, type Hit, type HitRateOptions } from './hit-rate.js';
export { timeOfLine } from './clf-time.js';
