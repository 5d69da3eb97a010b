import type { SwapHistoryRow, SwapRun } from '../../src/server/dashboard/swaps.js';
import type { FailoverStatus } from '../../src/server/failover/types.js';
import type { SwapPlan } from '../../src/failover/plan.js';
import { api, ApiError } from './api.js';
import { ago, h, pill, short, when } from './dom.js';

/**
 * The Swaps page (controller status, planned swaps for operators, the journal's history) and the
 * failover badge of the overview. Everything comes from /api/failover, /api/swaps and
 * /api/swap/*; a server without a controller answers E_NO_FAILOVER and the page says so.
 */

export interface FailoverView { configured: true; status: FailoverStatus; run: SwapRun | null }
type Loaded = FailoverView | { configured: false; message: string };

export async function loadFailover(): Promise<Loaded> {
  try {
    return await api<FailoverView>('/api/failover');
  } catch (e) {
    if (e instanceof ApiError && e.code === 'E_NO_FAILOVER') return { configured: false, message: e.message };
    throw e;
  }
}

function leaseText(s: FailoverStatus): { text: string; cls: string } {
  if (s.leaseEnd === 0) return { text: 'never granted', cls: 'warning' };
  const left = Math.round((s.leaseEnd - Date.now()) / 1000);
  return left >= 0 ? { text: `held, ${left}s left`, cls: 'ok' } : { text: `expired ${-left}s ago`, cls: 'critical' };
}

/** The overview card: who holds the lease, auto failover on/off, the lease state. */
export function failoverBadge(v: Loaded | undefined): HTMLElement {
  const card = h('div', { class: 'card', 'data-testid': 'failover-badge' }, h('h3', {}, 'Failover'));
  if (!v) card.append(h('div', { class: 'muted' }, '…'));
  else if (!v.configured) card.append(h('div', { class: 'muted' }, 'failover not configured'));
  else {
    const s = v.status;
    const lease = leaseText(s);
    card.append(
      h('div', {}, 'lease: ', h('b', { 'data-testid': 'lease-holder' }, s.holders.join(' + ') || '—'), ' ', pill(lease.text, lease.cls)),
      h('div', {}, pill(s.auto ? 'auto failover on' : 'auto failover off', s.auto ? 'ok' : 'info'), s.swapRunning ? pill('swap running', 'warning') : null,
        s.active ? null : pill('standby controller', 'info')),
    );
  }
  return card;
}

function statusCard(s: FailoverStatus): HTMLElement {
  const lease = leaseText(s);
  return h('div', { 'data-testid': 'failover-status' },
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('h3', {}, 'Identity'), h('div', { class: 'mono', title: s.identity }, short(s.identity)),
        h('div', {}, 'running on ', h('b', { 'data-testid': 'fo-leading' }, s.leading ?? 'nobody seen'))),
      h('div', { class: 'card' }, h('h3', {}, 'Lease'), h('div', { class: 'big', 'data-testid': 'fo-holder' }, s.holders.join(' + ') || '—'),
        pill(lease.text, lease.cls), h('span', { class: 'muted' }, ` epoch ${s.epoch}`)),
      h('div', { class: 'card' }, h('h3', {}, 'Controller'),
        h('div', {}, pill(s.auto ? 'auto failover on' : 'auto failover off', s.auto ? 'ok' : 'info')),
        h('div', { class: 'muted' }, `${s.ha === 'etcd' ? 'etcd HA' : 'single server'}, ${s.active ? 'active' : 'standby controller'}; lease ${s.timing.leaseTtlMs / 1000}s + ${s.timing.marginBlocks} blocks`)),
    ),
    h('div', { class: 'scroll' }, h('table', { 'data-testid': 'fo-hosts' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Host'), h('th', {}, 'Topology'), h('th', {}, 'Agent'), h('th', {}, 'factomd'), h('th', { class: 'hide-sm' }, 'Config'), h('th', {}, 'Lease'))),
      h('tbody', {}, ...s.hosts.map((x) => h('tr', { 'data-host': x.host },
        h('td', {}, x.host), h('td', {}, x.role),
        h('td', {}, pill(x.reachable ? 'reachable' : 'unreachable', x.reachable ? 'ok' : 'critical'), h('span', { class: 'muted' }, ` ${ago(x.lastSeen)}`)),
        h('td', {}, x.node ? `${x.node.role} ${x.node.height}/${x.node.minute}` : '—'),
        h('td', { class: 'hide-sm' }, x.holdsIdentity ? 'holds identity' : 'no identity', x.changeAcksHeight ? ` (ChangeAcksHeight ${x.changeAcksHeight})` : '', x.fenced ? pill('fenced', 'warning') : null),
        h('td', {}, x.leased ? pill('leased', 'ok') : '—')))))),
    s.events.length === 0 ? null : h('details', {}, h('summary', {}, `Controller events (${s.events.length})`),
      h('div', { class: 'scroll' }, h('table', {}, h('tbody', {}, ...[...s.events].reverse().slice(0, 20).map((e) => h('tr', {}, h('td', {}, when(e.ts)), h('td', {}, e.kind), h('td', {}, e.detail ?? ''))))))),
  );
}

function stateClass(r: SwapHistoryRow): string {
  return r.verified ? 'ok' : r.rolledBack ? 'warning' : !r.final ? 'info' : r.state === 'aborted' ? 'warning' : 'critical';
}

function historyTable(rows: SwapHistoryRow[], open: Set<string>, redraw: () => void): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted', 'data-testid': 'no-swaps' }, 'No swaps or failovers in the journal yet.');
  const body = h('tbody', {});
  for (const r of rows) {
    const toggle = () => { if (open.has(r.id)) open.delete(r.id); else open.add(r.id); redraw(); };
    body.append(h('tr', { 'data-swap': r.id, 'data-state': r.state, class: 'clickable', onclick: toggle },
      h('td', {}, open.has(r.id) ? '▾ ' : '▸ ', when(r.startedAt)), h('td', {}, r.kind), h('td', {}, `${r.from ?? '?'} → ${r.to ?? '?'}`),
      h('td', {}, r.height ?? '—'), h('td', {}, pill(r.verified ? 'verified' : r.rolledBack ? 'rolled back' : r.state, stateClass(r))),
      h('td', { class: 'hide-sm' }, r.endedAt ? `${Math.round((r.endedAt - r.startedAt) / 1000)} s` : 'open')));
    if (open.has(r.id)) {
      body.append(h('tr', { class: 'steps' }, h('td', { colspan: '6' }, h('ol', { 'data-testid': 'swap-steps' },
        ...r.steps.map((s) => h('li', { 'data-step': s.state }, h('span', { class: 'mono' }, new Date(s.ts).toLocaleTimeString()), ' ', h('b', {}, s.state),
          Object.keys(s.data).length ? h('span', { class: 'mono muted' }, ` ${JSON.stringify(s.data)}`) : null))))));
    }
  }
  return h('div', { class: 'scroll' }, h('table', { 'data-testid': 'swap-history' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Kind'), h('th', {}, 'From → to'), h('th', {}, 'Height'), h('th', {}, 'Result'), h('th', { class: 'hide-sm' }, 'Took'))), body));
}

function planPanel(p: SwapPlan): HTMLElement {
  return h('div', { class: 'card', 'data-testid': 'swap-plan', 'data-ok': String(p.ok) },
    h('h3', {}, p.ok ? `Swap at block ${p.height}` : 'Swap refused'),
    h('p', {}, p.ok ? `now block ${p.currentHeight} minute ${p.minute}; at least ${p.leadSeconds.toFixed(1)} s ahead` : 'fix the failing checks and plan again'),
    h('ul', { class: 'checks' }, ...p.checks.map((c) => h('li', { 'data-check': c.id, class: c.ok ? 'ok' : 'critical' }, c.ok ? '✓ ' : '✗ ', h('b', {}, c.id), `: ${c.message}`))),
    p.preview ? h('div', { class: 'previews' },
      h('div', {}, h('h4', {}, 'holder factomd.conf after the edit'), h('pre', { 'data-testid': 'preview-holder' }, p.preview.holder)),
      h('div', {}, h('h4', {}, 'standby factomd.conf after the edit'), h('pre', { 'data-testid': 'preview-standby' }, p.preview.standby))) : null);
}

/** Renders the Swaps page into `body`; returns its cleanup (timers). */
export function swapsPage(body: HTMLElement, operator: boolean): () => void {
  const status = h('div', {});
  const actions = h('div', {});
  const progress = h('div', { 'data-testid': 'run-progress' });
  const history = h('div', {});
  const open = new Set<string>();
  let rows: SwapHistoryRow[] = [];
  let run: SwapRun | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const drawHistory = () => history.replaceChildren(historyTable(rows, open, drawHistory));

  const drawRun = () => {
    if (!run) { progress.replaceChildren(); return; }
    const steps = rows.find((r) => r.id === run!.swapId)?.steps ?? [];
    const result = run.state === 'running' ? pill('running', 'info') : run.ok ? pill('verified', 'ok') : pill('NOT verified', 'critical');
    progress.dataset.state = run.state;
    progress.dataset.ok = String(run.ok === true);
    progress.replaceChildren(h('div', { class: 'card' }, h('h3', {}, `Swap run by ${run.user}, ${ago(run.startedAt)}`), result,
      run.detail ? h('p', {}, run.detail) : null,
      h('ol', {}, ...steps.map((s) => h('li', { 'data-step': s.state }, `${new Date(s.ts).toLocaleTimeString()} ${s.state}`)))));
  };

  const planBox = h('div', {});
  const err = h('div', { class: 'err', 'data-testid': 'swap-error' });
  const standby = h('select', { name: 'standby' });
  const planBtn = h('button', { 'data-testid': 'plan-swap' }, 'Plan swap');
  const runBtn = h('button', { class: 'primary', 'data-testid': 'run-swap' }, 'Run swap');
  const dialog = h('dialog', { 'data-testid': 'confirm-run' });
  const body2 = () => (standby.value ? { standby: standby.value } : {});
  planBtn.addEventListener('click', () => {
    err.textContent = '';
    planBox.replaceChildren(h('p', { class: 'muted' }, 'checking both nodes…'));
    delete planBox.dataset.planId;
    api<SwapPlan & { planId: string }>('/api/swap/plan', { method: 'POST', body: body2() })
      .then((p) => {
        // The plan's id travels with the run so the audit log links what the operator saw to what ran.
        planBox.dataset.planId = p.planId;
        planBox.replaceChildren(planPanel(p));
      })
      .catch((e: unknown) => { planBox.replaceChildren(); err.textContent = e instanceof Error ? e.message : 'plan failed'; });
  });
  runBtn.addEventListener('click', () => {
    err.textContent = '';
    const to = standby.value || standby.dataset.default || 'the standby';
    dialog.replaceChildren(
      h('p', {}, h('b', {}, `Move the authority identity to ${to}?`)),
      h('p', {}, 'Both configs are edited through the agents; the swap happens at the height of a fresh plan, then it is verified (or rolled back). Do not restart either node until it is done.'),
      h('div', { class: 'row' },
        h('button', { 'data-testid': 'confirm-cancel', onclick: () => dialog.close() }, 'Cancel'),
        h('button', { class: 'primary', 'data-testid': 'confirm-run-ok', onclick: () => {
          dialog.close();
          const planId = planBox.dataset.planId;
          api<SwapRun>('/api/swap/run', { method: 'POST', body: { ...body2(), ...(planId ? { planId } : {}) } })
            .then((r) => {
              // The run plans afresh at its own height: the shown plan is history now.
              planBox.replaceChildren();
              delete planBox.dataset.planId;
              run = r;
              drawRun();
              schedule(0);
            })
            .catch((e: unknown) => { err.textContent = e instanceof Error ? e.message : 'run refused'; });
        } }, 'Run swap')));
    dialog.showModal();
  });

  const drawActions = (v: FailoverView) => {
    if (!operator) { actions.replaceChildren(h('p', { class: 'muted', 'data-testid': 'operators-only' }, 'Swaps are started by operators.')); return; }
    const others = v.status.hosts.map((x) => x.host).filter((x) => !v.status.holders.includes(x));
    standby.dataset.default = others[0] ?? v.status.standby ?? '';
    const key = [standby.dataset.default, ...others].join(',');
    if (standby.dataset.key !== key) {
      standby.dataset.key = key;
      standby.replaceChildren(h('option', { value: '' }, `default (${standby.dataset.default || 'standby'})`), ...others.map((x) => h('option', { value: x }, x)));
    }
    const busy = v.status.swapRunning || run?.state === 'running';
    runBtn.toggleAttribute('disabled', busy);
    if (!actions.firstChild) actions.replaceChildren(h('h2', {}, 'Planned swap'), h('form', { class: 'inline', onsubmit: (e: Event) => e.preventDefault() }, 'to ', standby, planBtn, runBtn), err, planBox, dialog);
  };

  async function poll(): Promise<void> {
    const v = await loadFailover();
    if (stopped) return;
    if (!v.configured) {
      body.replaceChildren(h('p', { class: 'muted', 'data-testid': 'failover-not-configured' }, v.message));
      return;
    }
    rows = await api<SwapHistoryRow[]>('/api/swaps');
    if (stopped) return;
    if (v.run && (!run || v.run.id === run.id || v.run.startedAt > run.startedAt)) run = v.run;
    status.replaceChildren(statusCard(v.status));
    drawActions(v);
    drawHistory();
    drawRun();
    if (!body.contains(status)) body.replaceChildren(status, actions, progress, h('h2', {}, 'History'), history);
  }
  function schedule(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => {
      void poll().catch(() => undefined).finally(() => { if (!stopped) schedule(run?.state === 'running' ? 1000 : 5000); });
    }, ms);
  }
  body.replaceChildren(h('p', { class: 'muted' }, 'loading…'));
  schedule(0);
  return () => { stopped = true; clearTimeout(timer); };
}
