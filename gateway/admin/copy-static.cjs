// Build step: the dashboard's static files (gateway/admin/static/) go next to the compiled admin modules, which serve
// them from there (static-routes.ts); tsc copies only what it compiles.
const { cpSync } = require('node:fs');
const { join } = require('node:path');
cpSync(join(__dirname, 'static'), join(__dirname, '..', '..', 'dist', 'gateway', 'admin', 'static'), { recursive: true });
