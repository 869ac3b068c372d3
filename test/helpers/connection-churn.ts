import { Agent, request } from 'undici';

export interface ChurnResult {
  answered: number;
  /** Failed requests by status code or error code. */
  failures: Record<string, number>;
}

/**
 * `clients` loops that each send `GET /` on a connection of its own (`Connection: close`), until stopped: every
 * request is a new connection for the gateway to accept and hand to a worker. A connection stranded somewhere would
 * hold its request for undici's 300 s default; 10 s is far past any answer here, and shows as UND_ERR_HEADERS_TIMEOUT.
 */
export function connectionChurn(url: string, clients: number): { result: ChurnResult; stop(): Promise<ChurnResult> } {
  const result: ChurnResult = { answered: 0, failures: {} };
  const agent = new Agent({ connections: clients, headersTimeout: 10_000, bodyTimeout: 10_000 });
  let running = true;
  const fail = (code: string) => {
    result.failures[code] = (result.failures[code] ?? 0) + 1;
  };
  const loop = async () => {
    while (running) {
      try {
        const res = await request(`${url}/`, { dispatcher: agent, headers: { connection: 'close' } });
        await res.body.dump();
        if (res.statusCode === 200) result.answered++;
        else fail(String(res.statusCode));
      } catch (err) {
        const e = err as { code?: string; cause?: { code?: string } };
        fail(e.cause?.code ?? e.code ?? (err as Error).message);
      }
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    result,
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
      return result;
    },
  };
}
