// The call thread's entry point. Worker threads do not inherit the main thread's TypeScript
// loader, so this registers tsx, as bin/earshot.js does, before loading the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./call-thread-worker.ts');
