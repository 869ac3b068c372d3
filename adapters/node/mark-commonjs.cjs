// The CommonJS build of the Express adapter lives under dist/cjs/; this package is "type": "module", so that folder
// needs its own package.json saying its .js files are CommonJS (what `require('session-gateway/express')` loads).
require('node:fs').writeFileSync(require('node:path').join(__dirname, '..', '..', 'dist', 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
