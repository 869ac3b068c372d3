import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/**
 * The Python the framework tests run: Debian's /usr/bin/python3, which has Debian's python3-flask, python3-django
 * and python3-gunicorn (a python3 earlier on PATH may be another build without them). SESSION_GATEWAY_PYTHON overrides.
 */
export const python: string = process.env.SESSION_GATEWAY_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** adapters/python: what PYTHONPATH needs for `import session_gateway`. */
export const pythonAdapterRoot: string = join(repoRoot, 'adapters', 'python');

/** The sample apps the framework tests run (also the README's starting points). */
export const examplesRoot: string = join(repoRoot, 'examples');
