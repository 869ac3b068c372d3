import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { GatewaySettings } from '../config/settings.js';
import { ListenError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BoundAddresses, MasterMessage } from './ipc-messages.js';
import type { WorkerEntry } from './worker-pool.js';

/**
 * Connections waiting in the master while no worker can take them (start-up, a dead worker's replacement on its
 * way): the listen backlog's part, past which a new connection is closed at once rather than held.
 */
const WAITING_LIMIT = 1_024;

/** What the dispatcher asks of the master: who may take a connection on an address, and how to hand it over. */
export interface DispatchHooks {
  /** The workers that serve this `listen` key now (the serving generation's, started, not told to stop). */
  targets(listen: string): WorkerEntry[];
  /** Send `message` with `socket` as its handle, the master keeping its copy; `failed` if it could not be sent. */
  hand(entry: WorkerEntry, message: MasterMessage, socket: Socket, failed: () => void): void;
}

/** One accepted connection on its way to a worker. */
interface Handover {
  seq: number;
  listen: string;
  socket: Socket;
  /** The worker it was last sent to, until that worker answers (null while it waits for one). */
  worker: WorkerEntry | null;
  /** Workers that answered "not accepted" (closing): it is not sent to them again. */
  refusedBy: Set<WorkerEntry>;
}

/**
 * The master's listening sockets and the hand-over of each connection to a worker (docs/architecture.md §12).
 * The master binds every `listen` address itself and keeps it bound for its whole life, so a dead worker — even the
 * only one — never closes the port: its connections wait here until a worker can take them. Each connection is
 * accepted paused (the master reads nothing), sent to a worker with the master keeping its copy, and closed in the
 * master only when the worker says it took it; a worker that dies or closes before it answers has its connections
 * given to another. (node:cluster's round-robin closes the port with its last worker and keeps a connection sent to
 * a worker that died, accepted and never answered.)
 */
export class ConnectionDispatcher {
  readonly #log: Logger;
  readonly #hooks: DispatchHooks;
  readonly #servers = new Map<string, Server>();
  /** Sent and not answered yet, by seq. */
  readonly #sent = new Map<number, Handover>();
  readonly #waiting: Handover[] = [];
  #seq = 0;
  #next = 0;
  #overflowLogged = false;

  constructor(log: Logger, hooks: DispatchHooks) {
    this.#log = log;
    this.#hooks = hooks;
  }

  /**
   * Bind every `listen` address of these settings not bound yet (a clash is a ListenError naming it, and what this
   * call bound is let go again). Returns the keys it bound, so a reload that fails later can let them go.
   */
  async bind(settings: GatewaySettings): Promise<string[]> {
    const added: string[] = [];
    try {
      for (const [key, { host, port }] of listenAddresses(settings)) {
        if (this.#servers.has(key)) continue;
        this.#servers.set(key, await this.#listen(key, host, port));
        added.push(key);
      }
    } catch (err) {
      this.release(added);
      throw err;
    }
    return added;
  }

  /** Let these addresses go (a reload that failed, or addresses the serving configuration no longer names). */
  release(keys: Iterable<string>): void {
    for (const key of keys) {
      const server = this.#servers.get(key);
      if (!server) continue;
      this.#servers.delete(key);
      // Not waiting for close's callback: node counts the connections handed to workers as the server's until the
      // workers close them, and the port itself is let go at once.
      server.close();
    }
    this.flush();
  }

  /** The addresses bound, by key: what workers report as theirs. */
  bound(): BoundAddresses {
    const out: BoundAddresses = {};
    for (const [key, server] of this.#servers) {
      const a = server.address() as AddressInfo;
      out[key] = { host: a.address, port: a.port };
    }
    return out;
  }

  keys(): string[] {
    return [...this.#servers.keys()];
  }

  /** Stop accepting (a stop): the ports close; connections still waiting for a worker are closed. */
  close(): void {
    this.release(this.keys());
    for (const h of this.#waiting.splice(0)) h.socket.destroy();
  }

  /** A worker's answer to `conn`. */
  took(entry: WorkerEntry, seq: number, accepted: boolean): void {
    const h = this.#sent.get(seq);
    if (!h || h.worker !== entry) return;
    this.#sent.delete(seq);
    h.worker = null;
    // The worker holds its own descriptor of the connection now: closing the master's leaves the connection open.
    if (accepted) h.socket.destroy();
    else {
      h.refusedBy.add(entry);
      this.#dispatch(h);
    }
  }

  /** A worker is gone: what was sent to it and not answered goes to another. */
  workerGone(entry: WorkerEntry): void {
    for (const h of [...this.#sent.values()]) {
      if (h.worker !== entry) continue;
      this.#sent.delete(h.seq);
      h.worker = null;
      this.#dispatch(h);
    }
  }

  /** A worker can take connections now (started, a new generation serving): give it those waiting. */
  flush(): void {
    for (const h of this.#waiting.splice(0)) this.#dispatch(h);
  }

  async #listen(key: string, host: string, port: number): Promise<Server> {
    // Paused: the master never reads a byte of a connection, so the worker that takes it reads the request whole.
    // noDelay as http.Server's own: the option is the connection's, so it holds in the worker too.
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.#accepted(key, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError('proxy', host, port, err)));
      server.listen({ host, port, exclusive: true }, () => resolve());
    });
    server.on('error', (err) => this.#log.error({ event: 'proxy.listen_error', listen: key, err: err.message }, `listener ${key}: ${err.message}`));
    return server;
  }

  #accepted(listen: string, socket: Socket): void {
    // A client that resets while its connection waits here must not be an uncaught error in the master.
    socket.on('error', ignore);
    this.#dispatch({ seq: ++this.#seq, listen, socket, worker: null, refusedBy: new Set() });
  }

  #dispatch(h: Handover): void {
    if (h.socket.destroyed) return;
    const candidates = this.#hooks.targets(h.listen).filter((e) => !h.refusedBy.has(e));
    if (candidates.length === 0) return this.#wait(h);
    const entry = candidates[this.#next++ % candidates.length]!;
    h.worker = entry;
    this.#sent.set(h.seq, h);
    this.#hooks.hand(entry, { sg: 'conn', seq: h.seq, listen: h.listen }, h.socket, () => {
      if (this.#sent.get(h.seq) !== h || h.worker !== entry) return;
      this.#sent.delete(h.seq);
      h.worker = null;
      h.refusedBy.add(entry);
      this.#dispatch(h);
    });
  }

  #wait(h: Handover): void {
    if (this.#waiting.length >= WAITING_LIMIT || !this.#servers.has(h.listen)) {
      if (!this.#overflowLogged) {
        this.#overflowLogged = true;
        const why = this.#servers.has(h.listen) ? `${this.#waiting.length} already wait for a worker` : 'the address is no longer served';
        this.#log.warn({ event: 'proxy.connection_dropped', listen: h.listen, waiting: this.#waiting.length }, `connection on ${h.listen} closed: ${why}`);
      }
      h.socket.destroy();
      return;
    }
    this.#overflowLogged = false;
    this.#waiting.push(h);
  }
}

function ignore(): void {}

/** Each distinct `listen` address of the settings, by key (`host:port` as configured). */
export function listenAddresses(settings: GatewaySettings): Map<string, { host: string; port: number }> {
  const out = new Map<string, { host: string; port: number }>();
  for (const server of settings.servers) for (const { host, port } of server.listen) out.set(`${host}:${port}`, { host, port });
  return out;
}
