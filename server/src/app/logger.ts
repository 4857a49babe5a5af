import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/config.ts';

/** Secrets never reach a log line, whatever object a caller passes. */
export const redactPaths = [
  'authorization',
  'password',
  'token',
  'secret',
  '*.authorization',
  '*.password',
  '*.token',
  '*.secret',
  'headers.authorization',
  'req.headers.authorization',
  'connectionParams.authorization',
  'variables.input.password',
  'variables.password',
];

export function createLogger(config: Config, destination?: DestinationStream): Logger {
  const options = {
    level: config.core.logLevel,
    base: { service: 'brume-server' },
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
