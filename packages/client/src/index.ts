// @earshot/client: the typed client of Earshot's realtime protocol.
export * from './realtime-client.ts';
// The replica logic lives in the protocol package: the server keeps replicas too.
export { applyCallChanges, applyWallboardChanges } from '@earshot/protocol';
