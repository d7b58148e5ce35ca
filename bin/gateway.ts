#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GatewayContextError } from '../lib/config/gateway-context';
import { buildGatewayApp } from '../lib/gateway-app';

// Context: -c env=dev|staging|prod -c vpc=true|false -c euOnly=true
// -c evidently=true -c providerHosts=a.example.com,b.example.com
// -c openaiCompatibleProviders=vllm -c sloModels=claude-sonnet
// -c bedrockModelArns=arn:...  (see docs/deploy.md)
const app = new App();
try {
  buildGatewayApp(app);
} catch (error) {
  if (error instanceof GatewayContextError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
