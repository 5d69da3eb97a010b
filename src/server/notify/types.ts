import { z } from 'zod';

/** One notification: a group of alert transitions rendered once per channel. */
export interface Notification {
  groupKey: string;
  /** worst severity in the group */
  severity: 'info' | 'warning' | 'critical';
  status: 'firing' | 'resolved';
  title: string;
  lines: string[];
  alerts: { key: string; rule: string; node: string; severity: string; state: string; summary: string; startsAt: number; endsAt?: number }[];
  dashboardUrl?: string;
}

const url = z.string().url();
const secretRef = z.string().min(1);

/** Channels in alerts.yaml; secrets are named by a 0600 file path, never inline. */
export const NotifierConfigSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), name: z.string().min(1), url, secretFile: secretRef.optional() }).strict(),
  z.object({ type: z.literal('slack'), name: z.string().min(1), webhookUrlFile: secretRef, urlOverride: url.optional() }).strict(),
  z.object({ type: z.literal('telegram'), name: z.string().min(1), botTokenFile: secretRef, chatId: z.string().min(1), apiBase: url.default('https://api.telegram.org') }).strict(),
  z.object({
    type: z.literal('email'), name: z.string().min(1), host: z.string().min(1), port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false), requireTls: z.boolean().default(true), user: z.string().optional(), passwordFile: secretRef.optional(),
    from: z.string().min(3), to: z.array(z.string().min(3)).min(1),
  }).strict(),
  z.object({ type: z.literal('pagerduty'), name: z.string().min(1), routingKeyFile: secretRef, url: url.default('https://events.pagerduty.com/v2/enqueue') }).strict(),
]);
export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;

/** A channel ready to send (secrets already read). */
export interface Channel {
  name: string;
  type: NotifierConfig['type'];
  send(n: Notification, signal: AbortSignal): Promise<void>;
}
