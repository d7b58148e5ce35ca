/**
 * Admin Lambda entry: `/v1/admin/*` behind API Gateway AWS_IAM, plus the
 * experiment controller's events (a router's evaluation request, the
 * scheduled sweep). Thin: the routes are in lambdas/admin/app.ts. It holds
 * the registry, route-set, kill-switch and audit write access, so the
 * router does not.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { composeAdminAws } from './aws-deps';
import { handleExperimentEvent } from './experiment-events';
import { createAdminHttpHandler } from './http';

const { routes, log, experiments } = composeAdminAws();
const http = createAdminHttpHandler(routes, log);

/** The handler the runtime invokes (API Gateway proxy or EventBridge event). */
export const handler = async (event: APIGatewayProxyEvent | object) =>
  (await handleExperimentEvent(event, experiments, log)) ??
  http(event as APIGatewayProxyEvent);
