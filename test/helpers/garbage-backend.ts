import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A backend that answers every request with a head no proxy may forward (nginx's `invalid_header` condition), but its
 * health path, which it answers 200 so the gateway's active checks keep it in rotation, as nginx (which makes none)
 * does. A real TCP server: the proxies read its answer as they would any backend's.
 */
export class GarbageBackend {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(healthPath = '/healthz') {
    this.#server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      let head = '';
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const healthy = head.startsWith(`GET ${healthPath} `);
        // A status line, then a field with a space in its name: both proxies refuse that head (nginx: "upstream sent
        // invalid header"); bytes with no status line at all nginx would pass on as an HTTP/0.9 answer.
        socket.end(healthy ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBroken Field: y\r\n\r\nok');
      });
      socket.on('error', () => socket.destroy());
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
