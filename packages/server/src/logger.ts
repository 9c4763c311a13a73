// The process logger (pino, JSON lines on stdout).
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';

export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: { service: 'earshot' } });
}
