import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestProcess } from './child-process.js';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);
const JAVA_LIB = process.env.JAVA_LIB ?? '/usr/share/java';
const TOMCAT_JARS = ['api', 'catalina', 'coyote', 'util', 'util-scan', 'juli', 'servlet-api', 'jasper', 'jasper-el', 'el-api', 'jsp-api', 'annotations-api', 'jaspic-api'];

export const servletExamples = join(repoRoot, 'adapters', 'servlet', 'examples', 'dist');

/** The classpath of Debian's Tomcat 9 or 10 (with the JDT compiler Jasper compiles JSPs with). */
export function tomcatClasspath(version: 9 | 10): string[] {
  const jars = [...TOMCAT_JARS.map((name) => join(JAVA_LIB, `tomcat${version}-${name}.jar`)), join(JAVA_LIB, 'eclipse-jdt-core.jar')];
  const missing = jars.filter((jar) => !existsSync(jar));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: install libtomcat${version}-java (.ci/run does)`);
  return jars;
}

/**
 * Build what the Java tests run: the filter's two jars, the example applications (adapters/servlet/examples) and
 * the embedded-Tomcat launcher (test code). Returns the folder holding the launcher's class.
 */
export async function buildServletFixtures(): Promise<string> {
  await run('bash', [join(repoRoot, 'adapters', 'servlet', 'examples', 'build.sh')], { maxBuffer: 16 << 20 });
  const classes = mkdtempSync(join(tmpdir(), 'sg-tomcat-launcher-'));
  // One launcher class for both versions: it uses only org.apache.catalina API that Tomcat 9 and 10 share.
  await run('javac', ['--release', '8', '-nowarn', '-cp', tomcatClasspath(10).join(':'), '-d', classes, join(repoRoot, 'test', 'fixtures', 'servlet', 'EmbeddedTomcat.java')]);
  return classes;
}

export interface TomcatOptions {
  version: 9 | 10;
  launcher: string;
  /** context path → exploded web application folder ('' is the root). */
  apps: Record<string, string>;
  env: NodeJS.ProcessEnv;
  /** Where `<port>.pid` is written on every start (the rolling restart's restart command signals that pid). */
  pidDir: string;
}

/**
 * A real Tomcat JVM, supervised like a service manager would: when it exits (a restart command sent it SIGTERM) it
 * is started again on the same port, so a rolling restart's `--exec` only has to stop it. Output of every
 * incarnation is kept for assertions on the filter's SG_SERVLET_* log lines.
 */
export class TomcatNode {
  readonly port: number;
  readonly name: string;
  readonly url: string;
  readonly incarnations: TestProcess[] = [];
  readonly #options: TomcatOptions;
  readonly #base: string;
  #stopping = false;
  #quickFailures = 0;

  private constructor(port: number, options: TomcatOptions) {
    this.port = port;
    this.name = `127.0.0.1:${port}`;
    this.url = `http://${this.name}`;
    this.#options = options;
    this.#base = mkdtempSync(join(tmpdir(), `sg-tomcat${options.version}-`));
  }

  static async start(options: TomcatOptions): Promise<TomcatNode> {
    const node = new TomcatNode(await freePort(), options);
    node.#spawn();
    await node.waitStarted();
    return node;
  }

  get pid(): number {
    return this.incarnations.at(-1)?.pid ?? -1;
  }

  /** Every output line of every incarnation. */
  lines(): string[] {
    return this.incarnations.flatMap((p) => p.lines);
  }

  async waitStarted(timeoutMs = 90_000): Promise<void> {
    const current = this.incarnations.at(-1)!;
    await waitFor(() => {
      if (current.child.exitCode !== null) throw new Error(`Tomcat ${this.port} exited:\n${current.lines.slice(-30).join('\n')}`);
      return current.lines.some((l) => l === `tomcat started on ${this.port}`);
    }, { timeoutMs, intervalMs: 100, what: `Tomcat ${this.options.version} on ${this.port}` });
  }

  get options(): TomcatOptions {
    return this.#options;
  }

  #spawn(): void {
    const { version, launcher, apps, env, pidDir } = this.#options;
    const classpath = [...tomcatClasspath(version), launcher].join(':');
    const appArgs = Object.entries(apps).flatMap(([path, dir]) => ['--app', `${path}=${dir}`]);
    const args = [
      // Start-up time matters more than peak speed for a test JVM.
      '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xss512k', '-Xmx256m', '-Xshare:auto',
      '-Djava.util.logging.SimpleFormatter.format=%4$s %3$s %5$s%6$s%n',
      '-cp', classpath, 'EmbeddedTomcat', '--port', String(this.port), '--base', this.#base, ...appArgs,
    ];
    const proc = new TestProcess('java', args, env);
    this.incarnations.push(proc);
    mkdirSync(pidDir, { recursive: true });
    proc.child.once('spawn', () => writeFileSync(join(pidDir, `${this.port}.pid`), `${proc.pid}\n`));
    const startedAt = Date.now();
    proc.child.once('exit', (code) => {
      if (this.#stopping) return;
      // Back to work at once after a stop; a JVM that cannot start at all is not restarted in a loop.
      this.#quickFailures = code !== 0 && Date.now() - startedAt < 5_000 ? this.#quickFailures + 1 : 0;
      if (this.#quickFailures < 3) this.#spawn();
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.incarnations.map((p) => p.stop('SIGKILL')));
    rmSync(this.#base, { recursive: true, force: true });
  }
}
