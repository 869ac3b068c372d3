import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RouteTable } from './route-table.js';

/**
 * The dashboard's files (gateway/admin/static/, copied next to this module by the build) and uPlot's, from its npm
 * package. Read once at start-up: a handful of small files, served from memory.
 */
const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));
const require = createRequire(import.meta.url);

interface StaticFile {
  text: string;
  contentType: string;
}

const PAGE_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

function loadFiles(): Map<string, StaticFile> {
  const own = (name: string, contentType: string): StaticFile => ({ text: readFileSync(`${STATIC_DIR}${name}`, 'utf8'), contentType });
  const pkg = (path: string, contentType: string): StaticFile => ({ text: readFileSync(require.resolve(path), 'utf8'), contentType });
  return new Map([
    ['dashboard.js', own('dashboard.js', 'text/javascript; charset=utf-8')],
    ['dashboard.css', own('dashboard.css', 'text/css; charset=utf-8')],
    ['uplot.js', pkg('uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8')],
    ['uplot.css', pkg('uplot/dist/uPlot.min.css', 'text/css; charset=utf-8')],
  ]);
}

/** GET / (the page) and GET /static/:file. Public: they hold no data; the page's script asks the API for it. */
export function registerStaticRoutes(routes: RouteTable): void {
  const page = readFileSync(`${STATIC_DIR}index.html`, 'utf8');
  const files = loadFiles();
  routes.get('/', () => ({ text: page, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': PAGE_POLICY } }), { public: true });
  routes.get('/static/:file', (req) => {
    const file = files.get(req.params.file!);
    if (!file) return { status: 404, json: { error: { code: 'SG_ADMIN_NOT_FOUND', message: `no static file ${req.params.file}` } } };
    return { text: file.text, contentType: file.contentType };
  }, { public: true });
}
