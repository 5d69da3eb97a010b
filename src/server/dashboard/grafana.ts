/**
 * A Grafana dashboard over the server's /metrics exposition (node_exporter names with a
 * `node="NAME"` label), for operators who scrape anoguard with Prometheus. Datasource is an input
 * so the JSON imports into any Grafana.
 */
interface Panel { title: string; expr: string[]; unit: string; legend: string[] }

const PANELS: Panel[] = [
  { title: 'factomd leader height', expr: ['factomd_leader_height{node=~"$node"}'], unit: 'none', legend: ['{{node}}'] },
  { title: 'Height lag behind best node', expr: ['max(factomd_directory_block_height) - factomd_directory_block_height{node=~"$node"}'], unit: 'none', legend: ['{{node}}'] },
  { title: 'factomd minute', expr: ['factomd_minute{node=~"$node"}'], unit: 'none', legend: ['{{node}}'] },
  { title: 'Stall detected / leaders missing', expr: ['factomd_stall_detected{node=~"$node"}', 'factomd_sync_missing_leaders{node=~"$node"}'], unit: 'none', legend: ['stall {{node}}', 'missing {{node}}'] },
  { title: 'CPU busy', expr: ['1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle",node=~"$node"}[5m]))'], unit: 'percentunit', legend: ['{{node}}'] },
  { title: 'Load (1 min)', expr: ['node_load1{node=~"$node"}'], unit: 'none', legend: ['{{node}}'] },
  { title: 'Memory used', expr: ['1 - node_memory_MemAvailable_bytes{node=~"$node"} / node_memory_MemTotal_bytes{node=~"$node"}'], unit: 'percentunit', legend: ['{{node}}'] },
  { title: 'Disk I/O', expr: ['sum by (node) (rate(node_disk_read_bytes_total{node=~"$node"}[5m]))', 'sum by (node) (rate(node_disk_written_bytes_total{node=~"$node"}[5m]))'], unit: 'Bps', legend: ['read {{node}}', 'write {{node}}'] },
  { title: 'Network I/O', expr: ['sum by (node) (rate(node_network_receive_bytes_total{device!="lo",node=~"$node"}[5m]))', 'sum by (node) (rate(node_network_transmit_bytes_total{device!="lo",node=~"$node"}[5m]))'], unit: 'Bps', legend: ['rx {{node}}', 'tx {{node}}'] },
  { title: 'Processes', expr: ['node_processes_pids{node=~"$node"}', 'node_procs_running{node=~"$node"}'], unit: 'none', legend: ['total {{node}}', 'running {{node}}'] },
  { title: 'Filesystem used', expr: ['1 - node_filesystem_avail_bytes{node=~"$node",fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{node=~"$node",fstype!~"tmpfs|overlay"}'], unit: 'percentunit', legend: ['{{node}} {{mountpoint}}'] },
  { title: 'Failed SSH logins', expr: ['anoguard_ssh_failed_logins{node=~"$node"}'], unit: 'none', legend: ['{{node}}'] },
];

export function grafanaDashboard(): Record<string, unknown> {
  const ds = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
  return {
    __inputs: [{ name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' }],
    title: 'anoguard — Factom authority nodes', uid: 'anoguard-nodes', schemaVersion: 39, version: 1, editable: true,
    time: { from: 'now-6h', to: 'now' }, refresh: '30s', tags: ['anoguard', 'factom'],
    templating: {
      list: [{
        name: 'node', label: 'node', type: 'query', datasource: ds, query: 'label_values(node_load1, node)', refresh: 2,
        includeAll: true, multi: true, current: { text: 'All', value: '$__all' },
      }],
    },
    panels: PANELS.map((p, i) => ({
      id: i + 1, type: 'timeseries', title: p.title, datasource: ds,
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.expr.map((expr, j) => ({ refId: String.fromCharCode(65 + j), expr, legendFormat: p.legend[j] ?? '', datasource: ds })),
    })),
  };
}
