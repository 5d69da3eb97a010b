// A factomd stand-in for benchmarks, in its own process so it does not share the load generator's
// event loop. Prints its URL.
import { startFakeFactomd } from '../../test/helpers/fake-factomd.js';

const up = await startFakeFactomd({ height: 1000 });
process.stdout.write(`UPSTREAM ${up.url}\n`);
process.on('SIGTERM', () => { void up.close().then(() => process.exit(0)); });
