import { createServer, type Server as HttpServer } from 'node:http';
import type { Server } from './server.js';

/**
 * The readiness of a node as Kubernetes should see it: a fenced node (no role yet) is not ready; a
 * master is ready; a replica is ready only while its link to the master is up (so the replicas Service
 * never routes reads to a node that is resyncing or cut off).
 */
export function readiness(server: Server): { ready: boolean; reason: string } {
  if (server.shuttingDown) return { ready: false, reason: 'shutting down' };
  if (server.fenced) return { ready: false, reason: 'fenced: waiting for a role' };
  if (!server.replication.isReplica) return { ready: true, reason: 'master' };
  const up = server.replication.masterLinkUp?.() ?? false;
  return up
    ? { ready: true, reason: 'replica, link up' }
    : { ready: false, reason: 'replica, link to master down' };
}

/**
 * `health-port`: a tiny HTTP endpoint for probes (`/live`, `/ready`), so the image needs no shell and no
 * redis-cli to be probed, and readiness reflects replication state rather than an open port.
 */
export async function startHealthServer(server: Server, port: number): Promise<HttpServer> {
  const http = createServer((req, res) => {
    if (req.url === '/live') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (req.url === '/ready') {
      const r = readiness(server);
      res.writeHead(r.ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${r.reason}\n`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, () => resolve());
  });
  return http;
}
