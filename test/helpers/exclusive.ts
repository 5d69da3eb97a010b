import { createServer } from 'node:net';

/**
 * Runs FN while no other test process holds NAME. The chaos campaigns load both cores for minutes
 * and measure timing (lease renewals, etcd step-downs): run side by side, each starves the other.
 * The lock is a listening Linux abstract socket: taken atomically, and released by the kernel when
 * its holder exits, however it exits, so a crashed run leaves nothing to clean up.
 */
export async function exclusive<T>(name: string, fn: () => Promise<T>, waitMs = 600_000): Promise<T> {
  const server = createServer();
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ path: `\0anoguard-test-lock-${name}` }, () => { server.off('error', reject); resolve(); });
      });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    server.close();
  }
}
