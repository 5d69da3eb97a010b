import { InputError } from '../errors.js';

/** `--topology` and `--operator-key` go together; `--etcd` only with them. */
export function failoverFlags(o: { topology?: string; operatorKey?: string; etcd?: string }): { failover?: { topologyFile: string; operatorKeyFile: string; etcd?: string } } {
  if (o.topology === undefined && o.operatorKey === undefined) {
    if (o.etcd !== undefined) throw new InputError('E_USAGE', '--etcd needs --topology and --operator-key', { field: 'etcd', exitCode: 2 });
    return {};
  }
  if (o.topology === undefined) throw new InputError('E_USAGE', '--operator-key needs --topology', { field: 'topology', exitCode: 2 });
  if (o.operatorKey === undefined) throw new InputError('E_USAGE', '--topology needs --operator-key (the key that signs leases and commands)', { field: 'operator-key', exitCode: 2 });
  if (o.etcd !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(o.etcd)) throw new InputError('E_USAGE', 'an etcd URL like http://127.0.0.1:2379', { field: 'etcd', exitCode: 2 });
  return { failover: { topologyFile: o.topology, operatorKeyFile: o.operatorKey, ...(o.etcd !== undefined ? { etcd: o.etcd.replace(/\/$/, '') } : {}) } };
}
