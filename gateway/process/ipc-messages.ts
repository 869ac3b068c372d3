import type { AdminState, HealthState } from '../pool/backend.js';
import type { Directive } from '../config/parser.js';

/**
 * The messages between a master and its workers over the cluster IPC channel (docs/architecture.md §12). The channel
 * uses `serialization: 'advanced'` (structured clone), so a stored session's Map of fields crosses as it is. Every
 * message carries `sg` so it is never mistaken for one of node:cluster's own.
 */

/** One backend's state as the master decided it (keyed by upstream and NAME: the same NAME may be in two upstreams). */
export interface BackendStateMessage {
  upstream: string;
  name: string;
  adminState: AdminState;
  health: HealthState;
}

export type StoreOp = 'load' | 'commit' | 'destroyByHandle' | 'destroyByPrincipal' | 'listByPrincipal' | 'findByHandle' | 'sweepExpired' | 'stats' | 'ping';

/** One store call of a worker: its id, the method and the arguments. */
export type StoreCall = [id: number, op: StoreOp, args: unknown[]];

/** The master's answer to one store call: the value, or the error's stable code and message. */
export type StoreReply = [id: number, ok: true, value: unknown] | [id: number, ok: false, code: string, message: string];

/** The address the master bound for each `listen` key (`host:port` as configured; a port 0 shows the one chosen). */
export type BoundAddresses = Record<string, { host: string; port: number }>;

export type MasterMessage =
  /** The configuration the master validated (its parsed directives: a worker never reads a file edited since). */
  | { sg: 'config'; generation: number; file: string; directives: Directive[]; listening: BoundAddresses }
  /** Every backend's state, sent on a change and when a worker asks; the worker applies it and answers `applied`. */
  | { sg: 'backends'; epoch: number; backends: BackendStateMessage[] }
  /** The answers to store calls, in the order they settled (those of one event-loop turn together). */
  | { sg: 'store-reply'; replies: StoreReply[] }
  /** Stop gracefully within graceMs (0: now): reload's old generation, QUIT/TERM, INT. */
  | { sg: 'shutdown'; graceMs: number }
  | { sg: 'reopen-logs' }
  | { sg: 'metrics-req'; id: number }
  /**
   * A client connection the master accepted on the `listen` address `listen` (its key, `host:port` as configured),
   * sent with the socket as the message's handle. The worker answers `took` before it reads a byte.
   */
  | { sg: 'conn'; seq: number; listen: string };

export type WorkerMessage =
  | { sg: 'want-config' }
  | { sg: 'want-backends' }
  | { sg: 'applied'; epoch: number }
  /** Every listener is bound: the worker serves (with the package version its code read). */
  | { sg: 'ready'; addresses: Array<{ host: string; port: number }>; version: string }
  /** The worker could not start: the error's stable code and message (the one line start-up failures print). */
  | { sg: 'start-failed'; code: string; message: string }
  /** This worker's in-flight and long-lived counts per `upstream/name`, and its open client requests. */
  | { sg: 'counts'; backends: Record<string, [number, number]>; open: number }
  /** Store calls, in the order they were made (those of one event-loop turn together). */
  | { sg: 'store'; calls: StoreCall[] }
  | { sg: 'metrics'; id: number; json: unknown }
  /** The answer to `conn`: accepted (the master closes its copy), or not (it hands the connection to another worker). */
  | { sg: 'took'; seq: number; accepted: boolean };

function isGatewayMessage(m: unknown): boolean {
  return typeof m === 'object' && m !== null && typeof (m as { sg?: unknown }).sg === 'string';
}

export function isMasterMessage(m: unknown): m is MasterMessage {
  return isGatewayMessage(m);
}

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return isGatewayMessage(m);
}

export function backendKey(upstream: string, name: string): string {
  return `${upstream}/${name}`;
}
