import { join } from 'node:path';
import type { Env, HubConfig } from './config.ts';

export type LogSettings = Pick<HubConfig, 'logLevel' | 'logFormat' | 'logFile'>;

/**
 * Where `npm run demo` logs. The terminal is for its progress bars, summary and the
 * "hub is running" block, so the log (a JSON line per request, hundreds of them) goes to
 * a file under the data directory, or HUB_LOG_FILE; with LOG_LEVEL=debug or trace it
 * comes to the terminal instead, as readable lines, one per request.
 */
export function demoLogging(config: HubConfig, env: Env): LogSettings {
  const level = env.LOG_LEVEL?.trim().toLowerCase();
  if (level === 'debug' || level === 'trace') return { logLevel: level, logFormat: 'pretty', logFile: null };
  return { logLevel: config.logLevel, logFormat: config.logFormat, logFile: config.logFile ?? join(config.dataDir, 'logs', 'demo.log') };
}
