// @earshot/client: the typed client of Earshot's realtime protocol.
export * from './realtime-client.ts';
export * from './call-replica.ts';
