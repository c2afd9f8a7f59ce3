/**
 * Health checks for servers with `check`, as HAProxy 2.6 runs them (src/check.c):
 *   - every `inter` (default 2 s), a TCP connect, or with `option httpchk` an HTTP
 *     request whose 2xx/3xx status passes (or the codes `http-check expect status` lists);
 *   - timeout (tcpcheck.c, tcpcheck_eval_connect): a check may take `inter`; with both
 *     `timeout check` and `timeout connect` set, its connect phase ends at min(inter,
 *     timeout connect) (a connect that never completes: L4TOUT then), and once connected
 *     the answer has `timeout check` (L7TOUT). HAProxy sets that second expiry on its check
 *     task without moving the task in its timer queue, so it takes effect at the next turn
 *     of HAProxy's event loop after it passed, or at the connect phase's end if nothing else
 *     happens before: an idle HAProxy fails a frozen server's check (connects, never
 *     answers) at min(inter, timeout connect), one serving traffic at about connect +
 *     `timeout check` (measured with HAProxy 2.6: test/integration/health-parity.test.ts).
 *     This proxy does the latter, the behaviour of a lab under test traffic;
 *   - health runs from 0 to rise+fall-1: a server starts up at health = rise (so its very
 *     first failure takes it down), goes down when a failure drops health below rise
 *     (which resets it to 0), and comes back after `rise` successes in a row (health is
 *     then set to rise+fall-1, so `fall` failures are needed to take it down again).
 * First checks are spread over one interval, as HAProxy spreads them at start-up.
 */
import net, { type Socket } from 'node:net';
import type { HttpCheck } from './config/model.js';
import { checkStatusPasses } from './config/http-check.js';
import type { RuntimeBackend, RuntimeServer } from './runtime.js';

type CheckVerdict = { ok: true; status: string } | { ok: false; status: string };
/** A check's verdict and how long it took from its connect (stats check_duration). */
type CheckResult = CheckVerdict & { ms: number };

/** Applies one check result to the server's health, as check.c's set_server_check_status does. */
export function applyCheckResult(server: RuntimeServer, ok: boolean): void {
  const h = server.health;
  if (ok) {
    if (h.health < h.rise + h.fall - 1) {
      h.health++;
      if (h.health >= h.rise) h.health = h.rise + h.fall - 1;
    }
  } else if (h.health > 0) {
    h.failedChecks++;
    h.health--;
    if (h.health < h.rise) h.health = 0;
  }
  server.setUp(!server.config.disabled && h.health >= h.rise);
}

function runCheck(server: RuntimeServer, backend: RuntimeBackend, inFlight: Set<Socket>): Promise<CheckResult> {
  const section = backend.section;
  const httpCheck = section.options.httpCheck;
  const port = server.config.checkPort ?? server.config.port;
  const checkTimeout = section.timeouts.check;
  const inter = server.config.inter;
  const connectPhaseMs = checkTimeout && section.timeouts.connect ? Math.min(inter, section.timeouts.connect) : inter;
  const started = performance.now();
  return new Promise((resolve) => {
    if (port === undefined) {
      resolve({ ok: false, status: 'L4CON', ms: 0 });
      return;
    }
    let settled = false;
    const socket: Socket = net.connect({ host: server.address, port });
    inFlight.add(socket);
    const finish = (result: CheckVerdict) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(socket);
      socket.destroy();
      resolve({ ...result, ms: Math.round(performance.now() - started) });
    };
    // Stopping the checker destroys the socket: report it like a failed connect.
    socket.once('close', () => finish({ ok: false, status: 'L4CON' }));
    let timer = setTimeout(() => finish({ ok: false, status: 'L4TOUT' }), connectPhaseMs);
    socket.on('error', () => finish({ ok: false, status: 'L4CON' }));
    socket.once('connect', () => {
      if (!httpCheck) {
        finish({ ok: true, status: 'L4OK' });
        return;
      }
      // With no `timeout check`, `inter` from the start bounds the whole check.
      clearTimeout(timer);
      timer = setTimeout(() => finish({ ok: false, status: 'L7TOUT' }), checkTimeout ?? connectPhaseMs - (performance.now() - started));
      socket.write(checkRequest(httpCheck, server.config.host));
      let head = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        head += chunk;
        const eol = head.indexOf('\n');
        if (eol < 0 && head.length < 1024) return;
        const m = /^HTTP\/\d\.\d (\d{3})/.exec(head);
        if (!m) finish({ ok: false, status: 'L7RSP' });
        else {
          const status = Number(m[1]);
          finish(checkStatusPasses(status, section.options.httpCheckExpect) ? { ok: true, status: 'L7OK' } : { ok: false, status: 'L7STS' });
        }
      });
      socket.on('end', () => finish({ ok: false, status: 'L7RSP' }));
    });
  });
}

function checkRequest(check: HttpCheck, host: string): string {
  const hostLine = check.version === 'HTTP/1.1' ? `host: ${host}\r\n` : '';
  return `${check.method} ${check.uri} ${check.version}\r\n${hostLine}connection: close\r\n\r\n`;
}

export class HealthChecker {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Socket>();
  private stopped = false;

  constructor(private readonly backends: Iterable<RuntimeBackend>) {}

  start(): void {
    for (const backend of this.backends) {
      const checked = backend.servers.filter((s) => s.health.enabled);
      checked.forEach((server, index) => {
        this.schedule(server, backend, Math.floor((server.config.inter * index) / checked.length));
      });
    }
  }

  private schedule(server: RuntimeServer, backend: RuntimeBackend, delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      // MAINT (resolution) pauses the checks (server.c srv_update_status); they resume with it.
      if (server.resolutionMaint) {
        this.schedule(server, backend, server.config.inter);
        return;
      }
      const result = await runCheck(server, backend, this.inFlight);
      if (this.stopped) return;
      server.health.lastStatus = result.status;
      server.health.lastDurationMs = result.ms;
      applyCheckResult(server, result.ok);
      this.schedule(server, backend, server.config.inter);
    }, delay);
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const socket of this.inFlight) socket.destroy();
    this.inFlight.clear();
  }
}
