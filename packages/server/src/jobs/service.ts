// Background work is a Service: started once, drained (finish what was accepted) and stopped
// on shutdown. Timers are injected so tests can drive them.

export interface Service {
  readonly name: string;
  start(): void;
  /** Finishes work already accepted; accepts nothing new afterwards. */
  drain(): Promise<void>;
  /** Stops timers; call after drain. */
  stop(): Promise<void>;
}

export interface Timers {
  setTimeout: (callback: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
