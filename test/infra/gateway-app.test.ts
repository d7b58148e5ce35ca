import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { buildGatewayApp, type GatewayStacks } from '../../lib/gateway-app';
import { buildTestGateway, createTestApp, templateOf } from './helpers';

const TAGS = [
  { Key: 'Environment', Value: 'staging' },
  { Key: 'ManagedBy', Value: 'cdk' },
  { Key: 'Project', Value: 'ai-gateway' },
];

const stackIds = (stacks: GatewayStacks): string[] =>
  stacks.orchestration.node.root.node.children
    .filter((c) => c instanceof Stack)
    .map((s) => s.node.id);

describe('Function: buildGatewayApp', () => {
  let staging: GatewayStacks;
  let dev: GatewayStacks;
  let prod: GatewayStacks;

  beforeAll(() => {
    staging = buildTestGateway({ env: 'staging' });
    dev = buildTestGateway({ env: 'dev' });
    prod = buildTestGateway({ env: 'prod' });
  });

  it('creates six stacks when the VPC is on', () => {
    // THEN
    expect(stackIds(staging)).toEqual([
      'NetworkFirewall',
      'SecretsRotation',
      'Guardrails',
      'ModelRegistry',
      'Monitoring',
      'Orchestration',
    ]);
  });

  it('leaves the network stack out when vpc is false', () => {
    // THEN
    expect(dev.network).toBeUndefined();
    expect(stackIds(dev)).not.toContain('NetworkFirewall');
    expect(stackIds(dev)).toHaveLength(5);
  });

  it('fails on an invalid env with the allowed values', () => {
    // GIVEN
    const app = createTestApp({ env: 'production' });

    // WHEN / THEN
    expect(() => buildGatewayApp(app, { processEnv: {} })).toThrow(
      /invalid context: env must be one of dev, staging, prod, got "production"/
    );
  });

  it('names the CloudFormation stacks after the environment', () => {
    // THEN
    expect(staging.orchestration.stackName).toBe(
      'ai-gateway-staging-orchestration'
    );
    expect(staging.network?.stackName).toBe(
      'ai-gateway-staging-network-firewall'
    );
  });

  it('tags every stack and taggable resource with Project, Environment and ManagedBy', () => {
    // WHEN
    const template = templateOf(staging.orchestration);

    // THEN
    expect(staging.registry.tags.tagValues()).toEqual({
      Project: 'ai-gateway',
      Environment: 'staging',
      ManagedBy: 'cdk',
    });
    for (const type of [
      'AWS::Lambda::Function',
      'AWS::KMS::Key',
      'AWS::Logs::LogGroup',
      'AWS::IAM::Role',
    ]) {
      template.allResourcesProperties(type, { Tags: Match.arrayWith(TAGS) });
    }
    templateOf(staging.registry).allResourcesProperties(
      'AWS::DynamoDB::GlobalTable',
      { Replicas: [Match.objectLike({ Tags: Match.arrayWith(TAGS) })] }
    );
  });

  it('turns on termination protection in prod only', () => {
    // THEN
    expect(prod.registry.terminationProtection).toBe(true);
    expect(dev.registry.terminationProtection).toBe(false);
  });

  it('wires the stacks by props, without name lookups', () => {
    // WHEN references are resolved into dependencies
    templateOf(staging.orchestration);

    // THEN
    expect(
      staging.orchestration.dependencies.map((s) => s.node.id).sort()
    ).toEqual([
      'Guardrails',
      'ModelRegistry',
      'NetworkFirewall',
      'SecretsRotation',
    ]);
    expect(
      staging.monitoring.dependencies.map((s) => s.node.id).sort()
    ).toEqual(['ModelRegistry', 'NetworkFirewall']);
  });
});
