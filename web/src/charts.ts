import uPlot from 'uplot';
import { api } from './api.js';
import { h } from './dom.js';

interface ChartData { t: number[]; step: number; series: { label: string; unit: string; values: (number | null)[] }[] }

const COLORS = ['#2456d6', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0c8599'];

function fmt(unit: string) {
  return (_u: uPlot, v: number | null): string => {
    if (v === null) return '—';
    if (unit === 'B' || unit === 'B/s') {
      const k = ['', 'K', 'M', 'G', 'T'];
      let i = 0;
      let x = Math.abs(v);
      while (x >= 1024 && i < k.length - 1) { x /= 1024; i++; }
      return `${(Math.sign(v) * x).toFixed(x < 10 && i > 0 ? 1 : 0)} ${k[i]}${unit}`;
    }
    if (unit === '%') return `${v.toFixed(1)} %`;
    return Math.abs(v) >= 1000 ? v.toFixed(0) : String(Math.round(v * 100) / 100);
  };
}

/** One uPlot chart that reloads its data in place (no re-creation, so updates are cheap). */
export function mountChart(parent: HTMLElement, node: string, name: string, title: string): { load(from: number, to: number): Promise<void>; destroy(): void } {
  const box = h('div', { class: 'chart', 'data-chart': name }, h('h4', {}, title));
  const status = h('div', { class: 'muted' }, 'loading…');
  box.append(status);
  parent.append(box);
  let plot: uPlot | undefined;
  let labels = '';
  const width = () => Math.max(260, box.clientWidth - 16);
  const ro = new ResizeObserver(() => plot?.setSize({ width: width(), height: 200 }));
  ro.observe(box);
  return {
    async load(from, to) {
      const d = await api<ChartData>(`/api/nodes/${encodeURIComponent(node)}/charts/${name}?from=${Math.floor(from)}&to=${Math.floor(to)}`);
      const data: uPlot.AlignedData = [d.t.map((t) => t / 1000), ...d.series.map((s) => s.values)];
      box.dataset.points = String(d.t.length);
      box.dataset.last = String(d.t.at(-1) ?? 0);
      status.textContent = d.t.length === 0 ? 'no data in this range' : '';
      const key = d.series.map((s) => s.label).join('|');
      if (!plot || key !== labels) {
        plot?.destroy();
        labels = key;
        plot = new uPlot({
          width: width(), height: 200, legend: { live: true },
          scales: { x: { time: true } },
          axes: [{}, { size: 70, values: (u, vals) => vals.map((v) => fmt(d.series[0]?.unit ?? '')(u, v)) }],
          series: [{}, ...d.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length]!, width: 1.5, value: fmt(s.unit), spanGaps: false }))],
        }, data, box);
      } else {
        plot.setData(data);
      }
    },
    destroy() { ro.disconnect(); plot?.destroy(); },
  };
}
