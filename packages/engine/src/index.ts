// @earshot/engine: Earshot's pure domain logic. No I/O, no timers: time and ids come in.
export * from './call-clock.ts';
export * from './call-status.ts';
export * from './event-hash.ts';
export * from './live-call.ts';
export * from './mutations.ts';
export * from './rollup.ts';
export * from './seen-events.ts';
export * from './wallboard.ts';
export * from './redaction/redact.ts';
export * from './redaction/spoken-digits.ts';
export * from './webhook-signature.ts';
