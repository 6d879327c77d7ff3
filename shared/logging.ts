/**
 * pino logging: JSON lines by default (for journald, files and log shippers), a pretty,
 * coloured form when stdout is a terminal. Secret fields are redacted on every path.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import { pinoRedactPaths, REDACTED } from './secrets.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerSettings {
  name: string;
  level?: LogLevel;
  /** 'auto' (pretty on a TTY), 'json' or 'pretty'. */
  format?: 'auto' | 'json' | 'pretty';
  /** Where to write; defaults to stdout. */
  destination?: DestinationStream;
}

function envLevel(): LogLevel | undefined {
  const value = process.env.FLEETDESK_LOG_LEVEL;
  return value && (LOG_LEVELS as readonly string[]).includes(value) ? (value as LogLevel) : undefined;
}

function envFormat(): LoggerSettings['format'] | undefined {
  const value = process.env.FLEETDESK_LOG_FORMAT;
  return value === 'json' || value === 'pretty' || value === 'auto' ? value : undefined;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: envLevel() ?? settings.level ?? 'info',
    redact: { paths: pinoRedactPaths(), censor: REDACTED },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const format = envFormat() ?? settings.format ?? 'auto';
  const usePretty = format === 'pretty' || (format === 'auto' && !settings.destination && process.stdout.isTTY === true);
  if (usePretty) {
    return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  }
  return pino(options, settings.destination ?? pino.destination({ dest: 1, sync: false }));
}
