// @earshot/engine: Earshot's pure domain logic. No I/O, no timers: time and ids come in.
export * from './call-clock.ts';
export * from './call-status.ts';
export * from './event-hash.ts';
export {
  forEndedCall,
  policyOf,
  restoreCall,
  startCall,
  startHash,
  type Applied,
  type CallState,
  type EngineContext,
  type RedactionState,
  type SegmentIndex,
} from './call-state.ts';
export { applyEvents, endCall, tick } from './live-call.ts';
export { addAdvice, type OutsideAdvice } from './outside-advice.ts';
export {
  recordSupervisorAction,
  setActionDelivery,
  type SupervisorActionInput,
} from './supervisor-actions.ts';
export * from './mutations.ts';
export * from './rollup.ts';
export * from './seen-events.ts';
export * from './wallboard.ts';
export * from './redaction/redact.ts';
export * from './redaction/spoken-digits.ts';
export * from './webhook-signature.ts';
