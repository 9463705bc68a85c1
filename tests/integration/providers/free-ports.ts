// Free TCP ports on 127.0.0.1 for containers on the host network (no port
// mapping there: every server binds a host port directly, beside the shared
// services on their default ports and other clones' shifted sets).
import { createServer, type Server } from 'node:net';

/** `count` distinct ports that nothing listens on right now (all held until every one is found). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => {
      const a = s.address();
      if (a === null || typeof a === 'string') throw new Error('listen(0) gave no port');
      return a.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
