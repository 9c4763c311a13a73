// @earshot/protocol: the shapes every part of Earshot agrees on, as zod schemas with inferred types.
export * from './literals.ts';
export * from './errors.ts';
export * from './documents.ts';
export * from './campaigns.ts';
export * from './ingest.ts';
export * from './realtime.ts';
export * from './call-replica.ts';
export * from './supervisor-actions.ts';
export * from './access.ts';
export * from './wallboard-replica.ts';
export * from './analytics.ts';
