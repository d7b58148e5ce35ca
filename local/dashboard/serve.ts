import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { RouterDeps } from '../../lambdas/router/app';
import { type DashboardSources, dashboardData } from './data';
import { DASHBOARD_HTML, DASHBOARD_JS } from './page';

/** A request the local host may answer itself; true when it did. */
export type LocalRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

const LOOPBACK_ADDRESS = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i;

/** True when both ends are loopback: the caller and the name it used (DNS rebinding). */
export function isLoopbackRequest(req: IncomingMessage): boolean {
  return (
    LOOPBACK_ADDRESS.test(req.socket.remoteAddress ?? '') &&
    LOOPBACK_HOST.test(req.headers.host ?? '')
  );
}

let chartJs: Buffer | undefined;
/** chart.js's UMD build from node_modules (read once; no CDN). */
function chartJsSource(): Buffer {
  chartJs ??= readFileSync(
    join(dirname(require.resolve('chart.js')), 'chart.umd.js')
  );
  return chartJs;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // chart.js sets inline style attributes on its canvases.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
};

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The local dashboard: `GET /dashboard` (page), `/dashboard/app.js`,
 * `/dashboard/chart.js` and `/dashboard/data` (JSON, polled by the page).
 * Local-only by design: the local host serves it, the Lambda never does,
 * and it answers only loopback callers that address it by a loopback name
 * (403 otherwise), so binding HOST elsewhere does not expose it.
 */
export function dashboardRoute(
  deps: RouterDeps,
  sources: DashboardSources = {}
): LocalRoute {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/dashboard' && !path.startsWith('/dashboard/')) return false;
    req.resume();
    if (!isLoopbackRequest(req)) {
      send(
        res,
        403,
        'application/json',
        JSON.stringify({
          error: {
            message: 'the dashboard is served to loopback callers only',
            type: 'permission_error',
            code: 'dashboard_local_only',
            param: null,
          },
        })
      );
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'method not allowed');
      return true;
    }
    switch (path) {
      case '/dashboard':
      case '/dashboard/':
        send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML);
        return true;
      case '/dashboard/app.js':
        send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_JS);
        return true;
      case '/dashboard/chart.js':
        send(res, 200, 'text/javascript; charset=utf-8', chartJsSource());
        return true;
      case '/dashboard/data':
        dashboardData(deps, sources).then(
          (data) => send(res, 200, 'application/json', JSON.stringify(data)),
          () =>
            send(
              res,
              500,
              'application/json',
              '{"error":"dashboard data failed"}'
            )
        );
        return true;
      default:
        send(res, 404, 'text/plain', 'not found');
        return true;
    }
  };
}
