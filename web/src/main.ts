import 'uplot/dist/uPlot.min.css';
import './style.css';
import { api, ApiError, setCsrf } from './api.js';
import { mountChart } from './charts.js';
import { ago, h, pill, short, when } from './dom.js';
import { failoverBadge, loadFailover, swapsPage as renderSwaps } from './swaps.js';

interface Me { user: string; role: 'viewer' | 'operator'; csrf: string; demo: boolean }
interface Alert { key: string; rule: string; severity: string; node: string; summary: string; state: string; startsAt: number; endsAt?: number; silencedBy?: string }
interface NodeRow { node: string; factomd?: string; role?: string; height?: number; minute?: number; identity?: string; authority: boolean; up?: boolean; health: string; lastSeen?: number; load1?: number }
interface Overview { generatedAt: number; networkHeight?: number; nodes: NodeRow[]; alerts: Alert[]; holders: Record<string, string[]>; demo?: boolean }
interface StoredEvent { id: number; node: string; kind: string; severity: string; t: number; message: string }

const app = document.getElementById('app')!;
let me: Me | undefined;
let stream: EventSource | undefined;
let cleanup: (() => void) | undefined;
let lastOverview: Overview | undefined;
const overviewListeners = new Set<(o: Overview) => void>();

window.addEventListener('anoguard:logout', () => { me = undefined; stream?.close(); stream = undefined; render(); });
window.addEventListener('hashchange', () => render());

function startStream(): void {
  if (stream) return;
  stream = new EventSource('/api/stream');
  stream.addEventListener('overview', (e) => {
    lastOverview = JSON.parse((e as MessageEvent<string>).data) as Overview;
    for (const l of overviewListeners) l(lastOverview);
  });
  stream.addEventListener('logout', () => window.dispatchEvent(new Event('anoguard:logout')));
}

function shell(content: HTMLElement): void {
  const route = location.hash.split('/')[1] ?? '';
  const link = (href: string, text: string, id: string) => h('a', { href, class: route === id ? 'active' : '', 'data-nav': id }, text);
  const logout = h('button', { onclick: () => void api('/api/logout', { method: 'POST' }).finally(() => window.dispatchEvent(new Event('anoguard:logout'))) }, 'Log out');
  app.replaceChildren(
    ...(me?.demo ? [h('div', { class: 'demo', 'data-testid': 'demo-banner' }, 'DEMO — simulated Factom network on this machine, not real nodes')] : []),
    h('header', {},
      h('span', { class: 'brand' }, 'anoguard'),
      h('nav', {}, link('#/', 'Overview', ''), link('#/alerts', 'Alerts', 'alerts'), link('#/events', 'Events', 'events'), link('#/swaps', 'Swaps', 'swaps'),
        me?.role === 'operator' ? link('#/audit', 'Audit log', 'audit') : null),
      h('span', { class: 'muted', 'data-testid': 'whoami' }, `${me?.user ?? ''} (${me?.role ?? ''})`), logout),
    h('main', {}, content),
  );
}

function loginPage(): void {
  const err = h('div', { class: 'err', 'data-testid': 'login-error' });
  const user = h('input', { name: 'user', autocomplete: 'username', placeholder: 'user', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', placeholder: 'password', required: true });
  const form = h('form', { class: 'login card', onsubmit: (e: Event) => {
    e.preventDefault();
    api<Me>('/api/login', { method: 'POST', body: { user: user.value, password: pass.value } })
      .then((m) => { me = m; setCsrf(m.csrf); pass.value = ''; render(); })
      .catch((x: unknown) => { err.textContent = x instanceof Error ? x.message : 'login failed'; });
  } }, h('h2', {}, 'anoguard — sign in'), user, pass, h('button', { class: 'primary', type: 'submit' }, 'Sign in'), err);
  app.replaceChildren(form);
  user.focus();
}

function healthPill(r: NodeRow): HTMLElement {
  return pill(r.health, r.health);
}

function alertsTable(alerts: Alert[]): HTMLElement {
  if (alerts.length === 0) return h('p', { class: 'muted', 'data-testid': 'no-alerts' }, 'No active alerts.');
  return h('div', { class: 'scroll' }, h('table', { 'data-testid': 'alerts-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Severity'), h('th', {}, 'Rule'), h('th', {}, 'Node'), h('th', {}, 'Summary'), h('th', { class: 'hide-sm' }, 'Since'))),
    h('tbody', {}, ...alerts.map((a) => h('tr', { 'data-rule': a.rule, 'data-node': a.node },
      h('td', {}, pill(a.severity, a.severity), a.silencedBy ? h('span', { class: 'muted' }, ' silenced') : null), h('td', {}, a.rule), h('td', {}, a.node || '—'),
      h('td', {}, a.summary), h('td', { class: 'hide-sm' }, ago(a.startsAt)))))));
}

function overviewPage(): void {
  const body = h('div', {});
  let fo: Awaited<ReturnType<typeof loadFailover>> | undefined;
  const leased = (node: string) => fo?.configured === true && fo.status.holders.includes(node);
  const draw = (o: Overview) => {
    const holders = Object.entries(o.holders);
    const dup = holders.filter(([, nodes]) => nodes.length > 1);
    body.replaceChildren(
      h('div', { class: 'cards' },
        h('div', { class: 'card' }, h('h3', {}, 'Network height'), h('div', { class: 'big', 'data-testid': 'network-height' }, o.networkHeight ?? '—')),
        h('div', { class: 'card' }, h('h3', {}, 'Nodes'), h('div', { class: 'big' }, o.nodes.length)),
        h('div', { class: 'card' }, h('h3', {}, 'Active alerts'), h('div', { class: `big ${o.alerts.some((a) => a.severity === 'critical') ? 'critical' : o.alerts.length ? 'warning' : 'ok'}` }, o.alerts.length)),
        h('div', { class: 'card' }, h('h3', {}, 'Authority identity held by'),
          ...(holders.length === 0 ? [h('div', { class: 'muted' }, 'none seen')] : holders.map(([id, nodes]) => h('div', { class: dup.some(([d]) => d === id) ? 'critical' : '' },
            h('span', { class: 'mono' }, short(id)), ' → ', h('b', { 'data-testid': 'holder' }, nodes.join(', ')))))),
        failoverBadge(fo)),
      h('h2', {}, 'Nodes'),
      h('div', { class: 'scroll' }, h('table', { 'data-testid': 'nodes-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'Health'), h('th', {}, 'Role'), h('th', {}, 'Height'), h('th', {}, 'Min'), h('th', { class: 'hide-sm' }, 'Identity'), h('th', {}, 'Last seen'))),
        h('tbody', {}, ...o.nodes.map((r) => h('tr', { 'data-node': r.node },
          h('td', {}, h('a', { href: `#/node/${encodeURIComponent(r.node)}` }, r.node), r.authority ? h('span', { class: 'pill info', title: 'holds an authority identity' }, ' authority') : null,
            leased(r.node) ? h('span', { class: 'pill ok', title: 'holds the failover lease for the identity', 'data-testid': 'lease-pill' }, 'lease') : null),
          h('td', {}, healthPill(r), r.up === false ? h('span', { class: 'critical' }, ' factomd down') : null),
          h('td', {}, r.role ?? '—'), h('td', { 'data-testid': 'height' }, r.height ?? '—'), h('td', {}, r.minute ?? '—'),
          h('td', { class: 'mono hide-sm' }, short(r.identity)), h('td', {}, ago(r.lastSeen))))))),
      h('h2', {}, 'Active alerts'), alertsTable(o.alerts),
      h('p', { class: 'muted' }, `updated ${new Date(o.generatedAt).toLocaleTimeString()}`),
    );
  };
  const refreshFailover = () => loadFailover().then((v) => { fo = v; if (lastOverview) draw(lastOverview); }).catch(() => undefined);
  const timer = setInterval(() => void refreshFailover(), 10_000);
  overviewListeners.add(draw);
  cleanup = () => { overviewListeners.delete(draw); clearInterval(timer); };
  shell(body);
  if (lastOverview) draw(lastOverview);
  void api<Overview>('/api/overview').then((o) => { lastOverview = o; draw(o); }).catch(() => undefined);
  void refreshFailover();
}

const RANGES: [string, number][] = [['15m', 900e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 86400e3], ['7d', 7 * 86400e3], ['30d', 30 * 86400e3]];
const CHARTS: [string, string][] = [['cpu', 'CPU'], ['load', 'Load'], ['diskio', 'Disk I/O'], ['netio', 'Network I/O'], ['processes', 'Processes'], ['memory', 'Memory'], ['filesystem', 'Filesystems'], ['factomd', 'factomd height / minute']];

function nodePage(node: string): void {
  let range = 3600e3;
  const grid = h('div', { class: 'charts' });
  const charts = CHARTS.map(([name, title]) => mountChart(grid, node, name, title));
  const info = h('div', {});
  const buttons = RANGES.map(([label, ms]) => h('button', { class: ms === range ? 'sel' : '', 'data-range': label, onclick: () => { range = ms; buttons.forEach((b) => b.classList.toggle('sel', b.dataset.range === label)); void reload(); } }, label));
  const reload = async () => {
    const to = Date.now();
    await Promise.all(charts.map((c) => c.load(to - range, to).catch(() => undefined)));
  };
  const loadInfo = async () => {
    const d = await api<{ lastSeen: number | null; factomd: { name: string; labels: Record<string, string>; value: number }[]; security: StoredEvent[]; audit: StoredEvent | null; alerts: Alert[] }>(`/api/nodes/${encodeURIComponent(node)}`);
    const fm = d.factomd.filter((f) => !f.name.endsWith('_info') && !(f.name === 'factomd_role' && f.value === 0));
    info.replaceChildren(
      h('p', { class: 'muted' }, `last report ${ago(d.lastSeen)}`),
      h('h2', {}, 'factomd'),
      h('div', { class: 'scroll' }, h('table', { 'data-testid': 'factomd-table' }, h('tbody', {}, ...fm.map((f) => h('tr', {}, h('td', { class: 'mono' }, f.name === 'factomd_role' ? `role` : f.name), h('td', {}, f.name === 'factomd_role' ? (f.labels.role ?? '') : f.value)))))),
      h('h2', {}, 'Alerts'), alertsTable(d.alerts),
      h('h2', {}, 'Latest audit'), h('p', { class: 'muted' }, d.audit ? `${when(d.audit.t)} — ${d.audit.message}` : 'no audit result reported'),
      h('h2', {}, 'Security events'), eventsTable(d.security),
    );
  };
  const timer = setInterval(() => { if (range <= 6 * 3600e3) void reload(); }, 5000);
  cleanup = () => { clearInterval(timer); charts.forEach((c) => c.destroy()); };
  shell(h('div', {}, h('h2', {}, `Node ${node}`), h('div', { class: 'ranges' }, ...buttons), grid, info));
  void reload();
  void loadInfo().catch(() => undefined);
}

function eventsTable(evs: StoredEvent[]): HTMLElement {
  if (evs.length === 0) return h('p', { class: 'muted' }, 'No events.');
  return h('div', { class: 'scroll' }, h('table', { 'data-testid': 'events-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Node'), h('th', {}, 'Severity'), h('th', { class: 'hide-sm' }, 'Kind'), h('th', {}, 'Message'))),
    h('tbody', {}, ...evs.map((e) => h('tr', {}, h('td', {}, when(e.t)), h('td', {}, e.node), h('td', {}, pill(e.severity, e.severity)), h('td', { class: 'mono hide-sm' }, e.kind), h('td', {}, e.message))))));
}

function alertsPage(): void {
  const body = h('div', {});
  const load = async () => {
    const d = await api<{ active: Alert[]; history: { at: number; rule: string; node: string; severity: string; type: string; summary: string }[]; silences: { id: string; rule?: string; node?: string; endsAt: number; createdBy: string; comment: string }[]; deliveries: { at: number; notifier: string; ok: number; attempts: number; error: string }[] }>('/api/alerts');
    const err = h('span', { class: 'err', 'data-testid': 'silence-error' });
    const rule = h('input', { placeholder: 'rule (e.g. stall)', name: 'rule' });
    const node = h('input', { placeholder: 'node', name: 'node' });
    const minutes = h('input', { type: 'number', value: '60', min: '1', name: 'minutes', style: 'width:6em' });
    const comment = h('input', { placeholder: 'why', name: 'comment' });
    const form = me?.role === 'operator' ? h('form', { class: 'inline', 'data-testid': 'silence-form', onsubmit: (e: Event) => {
      e.preventDefault();
      api('/api/silences', { method: 'POST', body: { ...(rule.value ? { rule: rule.value } : {}), ...(node.value ? { node: node.value } : {}), minutes: Number(minutes.value), comment: comment.value } })
        .then(load).catch((x: unknown) => { err.textContent = x instanceof ApiError ? x.message : 'failed'; });
    } }, rule, node, minutes, comment, h('button', { class: 'primary', type: 'submit' }, 'Silence'), err) : h('p', { class: 'muted' }, 'Silences are managed by operators.');
    body.replaceChildren(
      h('h2', {}, 'Active'), alertsTable(d.active),
      h('h2', {}, 'Silences'), form,
      d.silences.length === 0 ? h('p', { class: 'muted' }, 'No silences.') : h('div', { class: 'scroll' }, h('table', { 'data-testid': 'silences' }, h('tbody', {}, ...d.silences.map((s) => h('tr', {},
        h('td', {}, s.rule ?? '*'), h('td', {}, s.node ?? '*'), h('td', {}, `until ${when(s.endsAt)}`), h('td', {}, `${s.createdBy}: ${s.comment}`),
        h('td', {}, me?.role === 'operator' ? h('button', { onclick: () => void api(`/api/silences/${s.id}`, { method: 'DELETE' }).then(load) }, 'Remove') : null)))))),
      h('h2', {}, 'Notifications'),
      d.deliveries.length === 0 ? h('p', { class: 'muted' }, 'Nothing sent yet.') : h('div', { class: 'scroll' }, h('table', { 'data-testid': 'deliveries' }, h('tbody', {}, ...d.deliveries.map((x) => h('tr', {},
        h('td', {}, when(x.at)), h('td', {}, x.notifier), h('td', {}, x.ok ? pill('sent', 'ok') : pill('FAILED', 'critical')), h('td', {}, `${x.attempts} attempt(s)`), h('td', {}, x.error)))))),
      h('h2', {}, 'History'),
      h('div', { class: 'scroll' }, h('table', { 'data-testid': 'alert-history' }, h('tbody', {}, ...d.history.map((x) => h('tr', { 'data-rule': x.rule, 'data-type': x.type },
        h('td', {}, when(x.at)), h('td', {}, pill(x.type, x.type === 'resolved' ? 'ok' : x.severity)), h('td', {}, x.rule), h('td', {}, x.node), h('td', {}, x.summary)))))),
    );
  };
  const timer = setInterval(() => void load().catch(() => undefined), 5000);
  cleanup = () => clearInterval(timer);
  shell(body);
  void load().catch(() => undefined);
}

function eventsPage(): void {
  const body = h('div', {});
  const sev = h('select', { name: 'severity' }, h('option', { value: '' }, 'all'), h('option', { value: 'warning' }, '≥ warning'), h('option', { value: 'critical' }, 'critical'));
  const load = async () => body.replaceChildren(eventsTable(await api<StoredEvent[]>(`/api/events?limit=300${sev.value ? `&severity=${sev.value}` : ''}`)));
  sev.addEventListener('change', () => void load());
  const timer = setInterval(() => void load().catch(() => undefined), 10_000);
  cleanup = () => clearInterval(timer);
  shell(h('div', {}, h('h2', {}, 'Security and fault events'), h('form', { class: 'inline' }, 'Severity ', sev), body));
  void load().catch(() => undefined);
}

function swapsPage(): void {
  const body = h('div', {});
  const note = me?.demo
    ? h('p', { class: 'muted', 'data-testid': 'demo-swap-note' },
      'Demo: planned swaps only — automatic failover is off. Plan a swap to move the authority identity from master (simulated node n1) to standby (n4): ',
      'the controller sends both agents signed commands, they edit the simulated nodes\' factomd.conf files, the nodes switch at the chosen block, ',
      'and the history below shows each verified step. Swap back the same way.')
    : null;
  shell(h('div', {}, h('h2', {}, 'Brain swaps and failovers'), note, body));
  cleanup = renderSwaps(body, me?.role === 'operator');
}

function auditPage(): void {
  const body = h('div', {});
  shell(h('div', {}, h('h2', {}, 'Operator audit log'), body));
  void api<{ at: number; user: string; action: string; detail: Record<string, unknown>; ip: string }[]>('/api/audit-log').then((rows) => body.replaceChildren(h('div', { class: 'scroll' }, h('table', { 'data-testid': 'audit-log' },
    h('tbody', {}, ...rows.map((r) => h('tr', {}, h('td', {}, when(r.at)), h('td', {}, r.user), h('td', {}, r.action), h('td', { class: 'mono' }, JSON.stringify(r.detail)), h('td', {}, r.ip))))))))
    .catch((e: unknown) => body.replaceChildren(h('p', { class: 'err', 'data-testid': 'forbidden' }, e instanceof Error ? e.message : 'refused')));
}

function render(): void {
  cleanup?.();
  cleanup = undefined;
  if (!me) return loginPage();
  startStream();
  const [, route, arg] = location.hash.split('/');
  switch (route ?? '') {
    case 'node': return nodePage(decodeURIComponent(arg ?? ''));
    case 'alerts': return alertsPage();
    case 'events': return eventsPage();
    case 'swaps': return swapsPage();
    case 'audit': return auditPage();
    default: return overviewPage();
  }
}

api<Me>('/api/session').then((m) => { me = m; setCsrf(m.csrf); }).catch(() => undefined).finally(render);
