import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { readSecretFile } from '../../util/fs.js';
import type { Channel, Notification, NotifierConfig } from './types.js';

/** Channel senders. Every HTTP one treats a non-2xx answer as a failure worth retrying. */

async function postJson(url: string, body: unknown, signal: AbortSignal, headers: Record<string, string> = {}): Promise<void> {
  const text = JSON.stringify(body);
  const r = await fetch(url, { method: 'POST', body: text, headers: { 'content-type': 'application/json', ...headers }, signal });
  if (r.status < 200 || r.status >= 300) {
    const detail = (await r.text().catch(() => '')).slice(0, 200);
    throw new Error(`HTTP ${r.status}${detail ? `: ${detail}` : ''}`);
  }
  await r.arrayBuffer().catch(() => undefined);
}

/** `X-Anoguard-Signature: sha256=HEX` over `TIMESTAMP.BODY`, so a receiver can refuse replays. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function text(n: Notification): string {
  return [`[${n.status.toUpperCase()}:${n.severity}] ${n.title}`, ...n.lines, ...(n.dashboardUrl ? [n.dashboardUrl] : [])].join('\n');
}

export function webhookChannel(c: Extract<NotifierConfig, { type: 'webhook' }>, now: () => number = Date.now): Channel {
  const secret = c.secretFile !== undefined ? readSecretFile(c.secretFile, `notifiers.${c.name}.secretFile`).trim() : undefined;
  return {
    name: c.name, type: c.type,
    async send(n, signal) {
      const body = JSON.stringify({ version: 1, ...n });
      const ts = String(Math.floor(now() / 1000));
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-anoguard-timestamp': ts };
      if (secret !== undefined) headers['x-anoguard-signature'] = signWebhook(secret, ts, body);
      const r = await fetch(c.url, { method: 'POST', body, headers, signal });
      await r.arrayBuffer().catch(() => undefined);
      if (r.status < 200 || r.status >= 300) throw new Error(`HTTP ${r.status}`);
    },
  };
}

export function slackChannel(c: Extract<NotifierConfig, { type: 'slack' }>): Channel {
  const url = c.urlOverride ?? readSecretFile(c.webhookUrlFile, `notifiers.${c.name}.webhookUrlFile`).trim();
  return { name: c.name, type: c.type, send: (n, signal) => postJson(url, { text: text(n) }, signal) };
}

export function telegramChannel(c: Extract<NotifierConfig, { type: 'telegram' }>): Channel {
  const token = readSecretFile(c.botTokenFile, `notifiers.${c.name}.botTokenFile`).trim();
  return {
    name: c.name, type: c.type,
    send: (n, signal) => postJson(`${c.apiBase.replace(/\/$/, '')}/bot${token}/sendMessage`, { chat_id: c.chatId, text: text(n), disable_web_page_preview: true }, signal),
  };
}

export function pagerDutyChannel(c: Extract<NotifierConfig, { type: 'pagerduty' }>): Channel {
  const key = readSecretFile(c.routingKeyFile, `notifiers.${c.name}.routingKeyFile`).trim();
  return {
    name: c.name, type: c.type,
    async send(n, signal) {
      // One PagerDuty event per alert: dedup_key = alert key, so resolve closes the same incident.
      for (const a of n.alerts) {
        await postJson(c.url, {
          routing_key: key,
          event_action: a.state === 'resolved' ? 'resolve' : 'trigger',
          dedup_key: a.key,
          payload: { summary: a.summary.slice(0, 1024), source: a.node || 'anoguard', severity: a.severity === 'critical' ? 'critical' : a.severity === 'warning' ? 'warning' : 'info', component: a.rule },
        }, signal);
      }
    },
  };
}

export function emailChannel(c: Extract<NotifierConfig, { type: 'email' }>): Channel {
  const pass = c.passwordFile !== undefined ? readSecretFile(c.passwordFile, `notifiers.${c.name}.passwordFile`).trim() : undefined;
  const transport = nodemailer.createTransport({
    host: c.host, port: c.port, secure: c.secure, requireTLS: c.requireTls && !c.secure,
    ...(c.user !== undefined && pass !== undefined ? { auth: { user: c.user, pass } } : {}),
    connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000,
  });
  return {
    name: c.name, type: c.type,
    async send(n) {
      await transport.sendMail({ from: c.from, to: c.to, subject: `[anoguard ${n.status}:${n.severity}] ${n.title}`, text: text(n) });
    },
  };
}

export function createChannel(c: NotifierConfig): Channel {
  switch (c.type) {
    case 'webhook': return webhookChannel(c);
    case 'slack': return slackChannel(c);
    case 'telegram': return telegramChannel(c);
    case 'pagerduty': return pagerDutyChannel(c);
    case 'email': return emailChannel(c);
  }
}
