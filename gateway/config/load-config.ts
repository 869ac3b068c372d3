import { buildSettings } from './build-settings.js';
import { parseConfigFile } from './parser.js';
import type { GatewaySettings } from './settings.js';

/**
 * Reads nginx-compat.conf (and its includes) into GatewaySettings. Never throws for configuration problems: they come
 * back as `file:line: message`, all at once, and `settings` is null whenever there is one. Syntax and include problems
 * are reported first, alone: the semantic checks run once every file parses, so a half-read tree does not produce a
 * cascade of follow-on messages (an upstream in an unreadable include showing up as "unknown upstream").
 */
export interface LoadedConfig {
  settings: GatewaySettings | null;
  problems: string[];
  ignored: string[];
}

export function loadGatewayConfig(file: string): LoadedConfig {
  const parsed = parseConfigFile(file);
  if (parsed.problems.length > 0) return { settings: null, problems: parsed.problems, ignored: [] };
  return buildSettings(parsed.directives, file);
}

/**
 * `session-gateway check -c FILE`: every problem, then every ignored directive, one per line, then a summary line.
 * Returns the exit code: 0 when the file is usable, 1 when it has problems.
 */
export async function checkConfigCommand(file: string, out: NodeJS.WritableStream): Promise<number> {
  const { settings, problems, ignored } = loadGatewayConfig(file);
  const lines = [...problems, ...ignored];
  if (settings) {
    const locations = settings.servers.reduce((n, s) => n + s.locations.length, 0);
    lines.push(
      `config OK: ${settings.servers.length} server(s), ${settings.upstreams.size} upstream(s), ${locations} location(s), ` +
        `${ignored.length} ignored directive(s)`,
    );
  } else lines.push(`${file}: ${problems.length} problem(s)`);
  await new Promise<void>((resolve, reject) => {
    out.write(`${lines.join('\n')}\n`, (err) => (err ? reject(err) : resolve()));
  });
  return settings ? 0 : 1;
}
