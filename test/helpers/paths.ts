import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory with package.json), found from this file wherever the build put it. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test build');
    dir = parent;
  }
  return dir;
})();

/** The build folder this file was compiled into (dist/ or .build/NAME/). */
export const buildRoot: string = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const gatewayCli = join(buildRoot, 'gateway', 'cli', 'main.js');
export const demoApp = join(buildRoot, 'backends', 'demo-app.js');
