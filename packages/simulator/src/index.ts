// @earshot/simulator: a simulated voice pipeline for the live demo and the benchmarks.
export * from './random.ts';
export * from './scenarios.ts';
export * from './call-plan.ts';
export * from './call-player.ts';
export * from './simulator.ts';
export * from './platform-receiver.ts';
