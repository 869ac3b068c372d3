import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';

/**
 * node:util's parseArgs, except that a string option's value may begin with a dash: a session id is base64url and a
 * principal is any text, so `sessions kill --sid -Qe3…` (one id in 64 starts so) must work as copied from
 * `sessions list`. parseArgs alone refuses such a value as "ambiguous"; here it is passed as `--sid=-Qe3…`, the form
 * parseArgs' own message asks for. A value that is one of the command's options (`--principal --json`) or `--` is
 * left alone, so forgetting a value is still the usage error it was.
 */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseNodeArgs<T>> {
  if (!config.args) return parseNodeArgs(config);
  return parseNodeArgs({ ...config, args: attachDashValues(config.args, config.options ?? {}) } as T);
}

/** `--name -value` → `--name=-value` and `-n -value` → `-n-value` for the string options of `options`. */
export function attachDashValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const known = new Set<string>();
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    for (const flag of option.short ? [`--${name}`, `-${option.short}`] : [`--${name}`]) {
      known.add(flag);
      if (option.type === 'string') takesValue.add(flag);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return [...out, ...args.slice(i)];
    const next = args[i + 1];
    if (takesValue.has(arg) && next !== undefined && next.startsWith('-') && next !== '--' && !known.has(next.split('=')[0]!)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
