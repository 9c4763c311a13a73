// The embedded database thread's entry point. Worker threads do not inherit the main thread's
// TypeScript loader, so this registers tsx, as bin/earshot.js does, before loading the worker.
import { register } from 'tsx/esm/api';

register();
await import('./pglite-thread-worker.ts');
