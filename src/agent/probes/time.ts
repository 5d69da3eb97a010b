import { sample, type Probe } from '../probe.js';

export const timeProbe: Probe = {
  id: 'time',
  describe: 'the agent clock (node_time_seconds); compared with the server clock to spot skew',
  async collect(ctx) {
    return { samples: [sample('node_time_seconds', ctx.now / 1000, ctx.now)], events: [] };
  },
};
