/**
 * Admin Lambda entry: `/v1/admin/*` behind API Gateway AWS_IAM. Thin: the
 * routes are in lambdas/admin/app.ts. It holds the registry, route-set,
 * kill-switch and audit write access, so the router does not.
 */
import { composeAdminAws } from './aws-deps';
import { createAdminHttpHandler } from './http';

const { routes, log } = composeAdminAws();

/** The handler the runtime invokes (API Gateway REST proxy event). */
export const handler = createAdminHttpHandler(routes, log);
