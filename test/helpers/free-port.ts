import { createServer } from 'node:net';

/** A TCP port nothing listens on right now (the OS picks it), for a hub process a test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
