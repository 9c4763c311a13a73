// A CallService over a write-behind whose commits the test decides, and a store that knows no
// campaign: for tests of what the service does while a write is still on its way.
import type { Mutation } from '@earshot/engine';
import pino from 'pino';
import { CallService } from '../../src/ingest/call-service.ts';
import { WriteBehind } from '../../src/jobs/write-behind.ts';
import { InProcessBus } from '../../src/realtime/bus.ts';
import type { Store } from '../../src/store/index.ts';

export function callServiceCommitting(commit: (batch: readonly Mutation[]) => Promise<void>): {
  calls: CallService;
  writer: WriteBehind;
} {
  const logger = pino({ level: 'silent' });
  const writer = new WriteBehind({ commit, logger, flushIntervalMs: 1 });
  writer.start();
  const store = {
    campaigns: { get: async () => undefined, findByName: async () => undefined },
  } as unknown as Store;
  return { calls: new CallService({ store, writer, bus: new InProcessBus(), logger }), writer };
}
