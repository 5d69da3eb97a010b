import type { FastifyPluginAsync } from 'fastify';
import { CONTROL_PATH, ControlRequest, MAX_CONTROL_BYTES, firstIssue, type ControlResponse } from '../../failover/control-wire.js';
import { peerIdentity } from '../tls.js';
import type { ControlHub } from './hub.js';

export interface ControlRouteOptions {
  hub: ControlHub;
  isRevoked?: (serial: string) => boolean;
}

interface ErrorBody { error: { code: string; message: string; field?: string } }
const fail = (code: string, message: string, field?: string): ErrorBody => ({ error: { code, message, ...(field ? { field } : {}) } });

/**
 * POST /v1/control on the agents' mTLS listener. The caller is the certificate's CN (our CA, not
 * revoked); the body's `host` must be that name, and only topology hosts have a channel.
 */
export const controlRoutes: FastifyPluginAsync<ControlRouteOptions> = async (app, opts) => {
  app.post<{ Reply: ControlResponse | ErrorBody }>(CONTROL_PATH, { bodyLimit: MAX_CONTROL_BYTES }, async (req, reply) => {
    const peer = peerIdentity(req.raw.socket);
    if (peer === undefined) return reply.code(401).send(fail('E_NO_CLIENT_CERT', 'a client certificate issued by the anoguard CA is required'));
    if (opts.isRevoked?.(peer.serial) === true) return reply.code(403).send(fail('E_CERT_REVOKED', 'this certificate has been revoked'));
    const p = ControlRequest.safeParse(req.body);
    if (!p.success) {
      const i = firstIssue(p.error);
      return reply.code(400).send(fail('E_BAD_CONTROL', i.message, `body.${i.field}`));
    }
    const body = p.data;
    if (body.host !== peer.cn || body.status.host !== peer.cn) {
      return reply.code(403).send(fail('E_AGENT_MISMATCH', `certificate is for ${peer.cn}, the call claims ${body.host !== peer.cn ? body.host : body.status.host}`, body.host !== peer.cn ? 'body.host' : 'body.status.host'));
    }
    if (!opts.hub.knows(peer.cn)) return reply.code(403).send(fail('E_CONTROL_HOST', `${peer.cn} is not an authority host of the topology`, 'body.host'));
    const ac = new AbortController();
    const onClose = (): void => { if (!reply.raw.writableEnded) ac.abort(); };
    req.raw.socket.once('close', onClose);
    try {
      return reply.code(200).send(await opts.hub.handle(peer.cn, body, ac.signal));
    } finally {
      req.raw.socket.off('close', onClose);
    }
  });
};
