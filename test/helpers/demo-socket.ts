import { WebSocket } from 'ws';

/** Open a WebSocket through the gateway with a session cookie and wait for the demo backend's first message. */
export function connectDemoSocket<Hello>(url: string, cookie: string): Promise<{ ws: WebSocket; hello: Hello }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { cookie } });
    ws.once('message', (data) => resolve({ ws, hello: JSON.parse(String(data)) as Hello }));
    ws.once('error', reject);
  });
}
