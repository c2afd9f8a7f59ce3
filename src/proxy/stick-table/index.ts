/** Stick tables: declaration, per-request tracking, frequency counters (see each file). */
export { FreqCtr } from './freq-ctr.js';
export { parseStickTable, parseTrackAction } from './config.js';
export { StickTable, monotonicClock, type Clock, type StickEntry } from './table.js';
export { StickTables, keyOf, stickTablesOf } from './tracking.js';
export { TRACK_COUNTERS, type StickTableConfig, type StoredData, type StreamCounters, type TrackAction } from './types.js';
