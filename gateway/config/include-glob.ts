import { readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, parse, sep } from 'node:path';

/**
 * Expands an `include` pattern the way nginx does (glob(3): `*`, `?`, `[...]`, sorted, dot-files not matched by a
 * wildcard). One difference, on purpose: nginx resolves a relative pattern against its prefix/conf directory; we resolve
 * it against the directory of the file that contains the `include`, so a config tree can be moved or copied as a whole
 * (nginx-compat.conf keeps its includes next to it, which means both rules find the same files for the shipped layout).
 */

const GLOB_CHARS = /[*?[]/;

export function hasGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

export function resolveIncludePath(pattern: string, includingFile: string): string {
  return isAbsolute(pattern) ? pattern : join(dirname(includingFile), pattern);
}

function segmentToRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i += 1) {
    const ch = segment[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    // A class glob(3) cannot match either, such as the reversed range `[z-a]`: no file matches.
    return /(?!)/;
  }
}

/** Every existing file the pattern names, sorted; [] when a wildcard pattern matches nothing (nginx accepts that). */
export function expandIncludeGlob(absolutePattern: string): string[] {
  const { root } = parse(absolutePattern);
  const segments = absolutePattern.slice(root.length).split(sep).filter((s) => s !== '');
  let candidates = [root === '' ? '.' : root];
  for (const segment of segments) {
    const next: string[] = [];
    if (!hasGlob(segment)) {
      for (const dir of candidates) next.push(join(dir, segment));
    } else {
      const re = segmentToRegExp(segment);
      for (const dir of candidates) {
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          continue;
        }
        for (const name of names.sort()) {
          if (name.startsWith('.') && !segment.startsWith('.')) continue;
          if (re.test(name)) next.push(join(dir, name));
        }
      }
    }
    candidates = next;
  }
  return candidates.filter((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
