import type { Client } from '../server/client.js';

/** HELLO's server description map, shaped as Redis 7.0 sends it. */
export function writeHelloReply(c: Client): void {
  const out = c.out;
  const role = c.server.isReplica() ? 'replica' : 'master';
  out.mapHeader(7);
  out.bulk('server');
  out.bulk('redis');
  out.bulk('version');
  out.bulk(SERVER_VERSION);
  out.bulk('proto');
  out.integer(c.resp);
  out.bulk('id');
  out.integer(c.id);
  out.bulk('mode');
  out.bulk('standalone');
  out.bulk('role');
  out.bulk(role);
  out.bulk('modules');
  out.arrayHeader(0);
}

/** The Redis version we are compatible with, reported where clients look for it. */
export const SERVER_VERSION = '7.0.15';
