import type { Probe } from '../probe.js';
import { cpuProbe } from './cpu.js';
import { loadProbe } from './load.js';
import { memoryProbe } from './memory.js';
import { diskstatsProbe } from './diskstats.js';
import { filesystemProbe } from './filesystem.js';
import { netdevProbe } from './netdev.js';
import { processesProbe } from './processes.js';
import { filefdProbe } from './filefd.js';
import { boottimeProbe } from './boottime.js';
import { timeProbe } from './time.js';
import { listenersProbe } from './listeners.js';

/** The host probes, always on. Configured probes (factomd, FIM, logs) are built by buildProbes in run.ts. */
export const HOST_PROBES: readonly Probe[] = [
  cpuProbe, loadProbe, memoryProbe, diskstatsProbe, filesystemProbe, netdevProbe,
  processesProbe, filefdProbe, boottimeProbe, timeProbe, listenersProbe,
];

export { createFactomdProbe } from './factomd.js';
export { createFimProbe } from './fim.js';
export { createSshLogProbe, createFactomdLogProbe } from './logs.js';
