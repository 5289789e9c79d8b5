/**
 * @module millrace/testing
 * Testing support for process definitions: specifications
 * (`given(...).when(...).then(...)`), a simulator that runs a definition
 * against plain functions, and a replay check for recorded histories.
 */
export { given, assertEvents, type Specification, type SpecificationResult } from './specification.js';
export { simulateProcess, type SimulatedHandler, type HistoryEntry, type RecordedHistory, type SimulationResult, type SimulateOptions } from './simulate.js';
export { replayHistory, type DefinitionSource } from './replay.js';
export type { ProcessEvent } from '../jobs/process-events.js';
export type { ProcessCommand, CommandOutcome } from '../jobs/process-commands.js';
