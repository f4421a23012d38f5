/**
 * The wire contract: what crosses the collector's HTTP API, and what its SDK and the Grafana
 * plugin send and read. Types, the query vocabulary, and the zod schemas that validate them. It
 * imports nothing of the collector; everything else may import it.
 */
export * from './types';
export * from './analysis';
export * from './schemas';
export * from './fastIngest';
export * from './analysisSchemas';
export * from './queryVocabulary';
export * from './queryContract';
