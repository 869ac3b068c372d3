import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import { defaults } from '../../../gateway/config/settings.js';

const HTTP = 'http { upstream app { server 127.0.0.1:8081; } server { listen 8080; location / { proxy_pass http://app; } } }';
const build = (main: string) => buildSettings(parseConfigText(`${main}\n${HTTP}`, '/etc/sg/t.conf'), '/etc/sg/t.conf');

test('without process directives: one worker, a 10 s shutdown grace, no pid file, a master process', () => {
  assert.deepEqual(build('').settings?.process, defaults.process);
  assert.deepEqual(defaults.process, { workerProcesses: 1, workerShutdownTimeoutMs: 10_000, pidFile: null, masterProcess: true, errorLog: null });
});

test('worker_processes, worker_shutdown_timeout, pid, master_process and error_log with nginx meaning', () => {
  const s = build('worker_processes 3; worker_shutdown_timeout 1m30s; pid run/sg.pid; master_process off; error_log /var/log/sg.log notice;');
  assert.deepEqual(s.problems, []);
  assert.deepEqual(s.settings?.process, {
    workerProcesses: 3, workerShutdownTimeoutMs: 90_000, pidFile: '/etc/sg/run/sg.pid', masterProcess: false,
    errorLog: { file: '/var/log/sg.log', level: 'info' },
  });
  assert.equal(build('worker_processes auto;').settings?.process.workerProcesses, availableParallelism());
  assert.deepEqual(build('error_log stderr;').settings?.process.errorLog, { file: 'stderr', level: null });
});

test('bad values are reported with file:line, all at once', () => {
  const s = build('worker_processes 0;\nworker_shutdown_timeout soon;\nmaster_process maybe;\nerror_log syslog:server=x;\npid a b;\npid c;');
  assert.equal(s.settings, null);
  assert.deepEqual(s.problems, [
    '/etc/sg/t.conf:1: invalid value "0" in "worker_processes" directive (a number ≥ 1 or "auto")',
    '/etc/sg/t.conf:2: invalid time "soon" in "worker_shutdown_timeout" directive',
    '/etc/sg/t.conf:3: invalid value "maybe" in "master_process" directive, it must be "on" or "off"',
    '/etc/sg/t.conf:4: "error_log syslog:server=x" is not supported by the gateway (a file, stderr or stdout)',
    '/etc/sg/t.conf:5: invalid number of arguments in "pid" directive',
    '/etc/sg/t.conf:6: "pid" directive is duplicate',
  ]);
});

test('process directives belong to the main context; error_log elsewhere stays ignored', () => {
  const s = buildSettings(parseConfigText('http { worker_processes 2; error_log /x; upstream app { server 127.0.0.1:1; } server { location / { proxy_pass http://app; } } }', 't.conf'), 't.conf');
  assert.deepEqual(s.problems, ['t.conf:1: "worker_processes" directive is not allowed here']);
  assert.deepEqual(s.ignored, ['t.conf:1: directive error_log is ignored']);
});
