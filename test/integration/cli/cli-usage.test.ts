import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { runCli } from '../rollout/cli-run.js';

const COMMANDS = ['start', 'check', 'status', 'drain', 'ready', 'rolling-restart', 'sessions', 'reload', 'quit', 'stop', 'reopen', 'loadtest'];

/** The CLI's rough edges an operator meets first (README "Rolling restart, CLI and admin API": exit codes). */
describe('CLI usage, help, version and exit codes', () => {
  let notAdmin: Server;
  let notAdminUrl: string;
  let deadAdminUrl: string;

  before(async () => {
    // What a proxy port or a backend looks like to the CLI: an HTTP server that knows nothing of /api/backends.
    notAdmin = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    });
    await new Promise<void>((resolve) => notAdmin.listen(0, '127.0.0.1', resolve));
    notAdminUrl = `http://127.0.0.1:${(notAdmin.address() as AddressInfo).port}`;
    deadAdminUrl = `http://127.0.0.1:${await freePort()}`;
  });

  after(() => {
    notAdmin?.close();
  });

  for (const name of COMMANDS) {
    it(`${name} --help prints its usage and exits 0 without doing anything`, async () => {
      // --admin points nowhere: a command that still queried the admin API would exit 3.
      const run = await runCli([name, '--help', '--admin', deadAdminUrl]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^usage: session-gateway ${name}\\b`));
      assert.equal(run.stderr, '');
    });
  }

  it('-h works as --help, and `help CMD` as `CMD --help`', async () => {
    const short = await runCli(['check', '-h']);
    const topic = await runCli(['help', 'check']);
    assert.equal(short.code, 0);
    assert.equal(topic.code, 0);
    assert.equal(short.stdout, topic.stdout);
    assert.match(short.stdout, /-c, --config FILE/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, `session-gateway ${version}\n`);
    }
  });

  it('an unknown option is a usage error: exit 2, a human message naming the command, no Node error code', async () => {
    for (const args of [['start', '--bogus'], ['check', '-c'], ['status', '--admin'], ['sessions', 'stats', '--nope']]) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, new RegExp(`^session-gateway ${args[0]}: `));
      assert.match(run.stderr, new RegExp(`session-gateway ${args[0]} --help`));
      assert.doesNotMatch(run.stderr, /ERR_PARSE_ARGS|at .*\.js:\d+/);
    }
  });

  it('a missing argument is a usage error too', async () => {
    const check = await runCli(['check']);
    assert.equal(check.code, 2);
    assert.match(check.stderr, /-c FILE is required/);
    const drain = await runCli(['drain', '--admin', deadAdminUrl]);
    assert.equal(drain.code, 2);
    assert.match(drain.stderr, /exactly one backend NAME/);
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^usage: session-gateway <command>/);
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it('an --admin URL that is not an admin API says so (exit 3), instead of a bare 404', async () => {
    for (const args of [['status'], ['sessions', 'stats'], ['drain', '127.0.0.1:1']]) {
      const run = await runCli([...args, '--admin', notAdminUrl]);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /answered 404 but is not a session-gateway admin API/);
      assert.match(run.stderr, /not at a proxy listen port/);
      assert.match(run.stderr, /SG_NOT_ADMIN_API/);
    }
  });

  it('nothing listening at --admin is exit 3 with the address', async () => {
    const run = await runCli(['status', '--admin', deadAdminUrl]);
    assert.equal(run.code, 3);
    assert.match(run.stderr, new RegExp(`cannot reach the admin API at ${deadAdminUrl.replace(/[.]/g, '\\.')}`));
  });
});
