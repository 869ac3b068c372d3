import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigReport } from '../../../gateway/config/config-report.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import { checkVariables, compileTemplate } from '../../../gateway/config/variables.js';

function problems(text: string): string[] {
  const report = new ConfigReport();
  checkVariables(parseConfigText(text, 't.conf'), report);
  return report.problems;
}

describe('compileTemplate', () => {
  it('splits literals and names as ngx_http_script_compile does', () => {
    const t = compileTemplate('a$host:${server_port}x$12$HTTP_X');
    assert.deepEqual(t, { parts: [{ literal: 'a' }, { variable: 'host' }, { literal: ':' }, { variable: 'server_port' }, { literal: 'x' }, { variable: '1' }, { literal: '2' }, { variable: 'http_x' }] });
  });

  it('a $ with no name, an unclosed brace', () => {
    assert.equal(compileTemplate('costs $ 5'), 'invalid variable name in "costs $ 5"');
    assert.equal(compileTemplate('${host'), 'the closing bracket in "host" variable is missing');
  });
});

describe('checkVariables', () => {
  it('knows the builtins, the families, captures and what the config defines wherever it is written', () => {
    assert.deepEqual(problems(`http { server {
      location /a { proxy_set_header X "$http_x_y $arg_q $cookie_c $1 $later $sub"; }
      location ~ ^/(?<sub>x) { return 200 "$sub"; }
      location /b { set $later "$host"; }
    } }`), []);
  });

  it('reports each unknown name at its directive, and an nginx-only one as unsupported', () => {
    assert.deepEqual(problems(`http { server {
      location / { proxy_set_header X $nope; add_header Y "$status"; return 301 $scheme://$nah; }
    } }`), ['t.conf:2: unknown "nope" variable', 't.conf:2: variable "$status" is not supported by the gateway here', 't.conf:2: unknown "nah" variable']);
  });

  it('leaves arguments alone that are not expanded: the code of return, a regex FROM of proxy_redirect, location patterns', () => {
    assert.deepEqual(problems(`http { server { location ~ ^/x$ { return 404; proxy_redirect ~^http://a/(.*)$ /b/$1; } } }`), []);
  });
});
