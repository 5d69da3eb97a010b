// The offline build logs nothing: a pino look-alike that drops every record (no transports, no workers).
const noop = () => {};
function make() {
  const l = { level: 'silent', trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, silent: noop, child: () => l, flush: noop, isLevelEnabled: () => false };
  return l;
}
export function pino() { return make(); }
export default pino;
