import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { GatewayStacks } from '../../lib/gateway-app';
import {
  actionsOf,
  buildTestGateway,
  flattenArn,
  iamStatements,
  resourcesOf,
  statementsOfRole,
  type TemplateStatement,
  templateOf,
} from './helpers';

/** Every resource of a type across all stacks. */
const everywhere = (templates: Template[], type: string) =>
  templates.flatMap((t) => Object.entries(t.findResources(type)));

const roleOf = (template: Template, service: string): string => {
  const ids = Object.keys(
    template.findResources('AWS::IAM::Role', {
      Properties: { Description: `Execution role of ${service}` },
    })
  );
  expect(ids).toHaveLength(1);
  return ids[0];
};

const resourcesFor = (
  statements: TemplateStatement[],
  prefix: string
): string[] =>
  statements
    .filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)))
    .flatMap(resourcesOf)
    .map((r) => JSON.stringify(r))
    .sort();

describe('Security across the app', () => {
  let app: GatewayStacks;
  let templates: Template[];

  beforeAll(() => {
    app = buildTestGateway({
      env: 'prod',
      vpc: true,
      evidently: true,
      sloModels: 'claude-sonnet',
      openaiCompatibleProviders: 'vllm',
    });
    templates = [
      app.network!,
      app.secrets,
      app.guardrails,
      app.registry,
      app.monitoring,
      app.orchestration,
    ].map(templateOf);
  });

  describe('least privilege', () => {
    it('grants no action with a wildcard in any IAM policy of any stack', () => {
      // WHEN
      const wild = templates
        .flatMap(iamStatements)
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actionsOf)
        .filter((a) => a.includes('*'));

      // THEN
      expect(wild).toEqual([]);
    });

    it('uses Resource "*" only for X-Ray, which has no resource-level permissions', () => {
      // WHEN
      const starActions = templates
        .flatMap(iamStatements)
        .filter((s) => s.Effect === 'Allow' && resourcesOf(s).includes('*'))
        .flatMap(actionsOf);

      // THEN
      expect(new Set(starActions)).toEqual(
        new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
      );
    });

    it('gives Bedrock invoke only foundation-model and inference-profile resources', () => {
      // WHEN
      const resources = templates
        .flatMap(iamStatements)
        .filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:Invoke')))
        .flatMap(resourcesOf)
        .map(flattenArn);

      // THEN
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) {
        expect(r).toMatch(
          /^arn:aws:bedrock:[a-z0-9*-]+:(\d{12}|<AWS::AccountId>)?:(foundation-model|inference-profile)\//
        );
      }
    });

    it('lets the router reach exactly its five tables (the audit trail is the admin function’s)', () => {
      // GIVEN
      const template = templateOf(app.orchestration);
      const t = app.registry.tables;
      const expected = [t.registry, t.tenants, t.usage, t.cache, t.decisions]
        .map((table) =>
          JSON.stringify(Stack.of(app.orchestration).resolve(table.tableArn))
        )
        .sort();

      // WHEN
      const reached = resourcesFor(
        statementsOfRole(template, roleOf(template, 'ai-gateway-router')),
        'dynamodb:'
      );

      // THEN
      expect([...new Set(reached)]).toEqual(expected);
    });

    it('lets the rollback function reach only the idempotency, registry and audit tables', () => {
      // GIVEN
      const template = templateOf(app.monitoring);
      const t = app.registry.tables;
      const expected = [t.idempotency, t.registry, t.audit]
        .map((table) =>
          JSON.stringify(Stack.of(app.monitoring).resolve(table.tableArn))
        )
        .sort();

      // WHEN
      const statements = statementsOfRole(
        template,
        roleOf(template, 'ai-gateway-rollback')
      );

      // THEN
      expect(resourcesFor(statements, 'dynamodb:')).toEqual(expected);
      expect(resourcesFor(statements, 'secretsmanager:')).toEqual([]);
      expect(resourcesFor(statements, 'bedrock:')).toEqual([]);
    });

    it('lets the router read only the provider secrets, never write them', () => {
      // GIVEN
      const template = templateOf(app.orchestration);
      const s = app.secrets;
      const expected = [
        s.googleSecret,
        s.llamaSecret,
        s.openaiCompatibleSecrets.vllm,
      ]
        .map((secret) =>
          JSON.stringify(Stack.of(app.orchestration).resolve(secret.secretArn))
        )
        .sort();

      // WHEN
      const statements = statementsOfRole(
        template,
        roleOf(template, 'ai-gateway-router')
      );
      const secretActions = statements
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('secretsmanager:'));

      // THEN
      expect(resourcesFor(statements, 'secretsmanager:')).toEqual(expected);
      expect(new Set(secretActions)).toEqual(
        new Set([
          'secretsmanager:GetSecretValue',
          'secretsmanager:DescribeSecret',
        ])
      );
    });

    it('lets the rotation function reach only the provider secrets', () => {
      // GIVEN
      const template = templateOf(app.secrets);

      // WHEN
      const statements = statementsOfRole(
        template,
        roleOf(template, 'ai-gateway-rotation')
      );

      // THEN
      expect(resourcesFor(statements, 'secretsmanager:')).toHaveLength(3);
      for (const r of resourcesFor(statements, 'secretsmanager:')) {
        expect(r).toMatch(/"Ref":"ProviderSecrets/);
      }
      expect(resourcesFor(statements, 'dynamodb:')).toEqual([]);
      expect(resourcesFor(statements, 'ssm:')).toEqual([]);
    });

    it('keeps every SSM grant under the environment own /ai paths', () => {
      // WHEN
      const resources = templates
        .flatMap(iamStatements)
        .filter((s) => actionsOf(s).some((a) => a.startsWith('ssm:')))
        .flatMap(resourcesOf)
        .map((r) => JSON.stringify(r));

      // THEN
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) {
        expect(r).toMatch(
          /:parameter\/ai\/(routing|kill-switches|guardrails)\/prod[/"]/
        );
      }
    });
  });

  describe('encryption at rest', () => {
    it('encrypts every log group with a customer-managed key', () => {
      // WHEN
      const groups = everywhere(templates, 'AWS::Logs::LogGroup');

      // THEN: network (3), rotation, rollback, router, admin, API access,
      // the WebSocket function and its stage access logs.
      expect(groups).toHaveLength(10);
      for (const [id, group] of groups) {
        expect([id, group.Properties.KmsKeyId]).toEqual([
          id,
          { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        ]);
        expect([id, group.Properties.RetentionInDays]).toEqual([id, 365]);
      }
    });

    it('encrypts every secret with a customer-managed key', () => {
      // WHEN
      const secrets = everywhere(templates, 'AWS::SecretsManager::Secret');

      // THEN
      expect(secrets).toHaveLength(3);
      for (const [, secret] of secrets) {
        expect(secret.Properties.KmsKeyId).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'],
        });
      }
    });

    it('encrypts every SNS topic with a customer-managed key', () => {
      // WHEN
      const topics = everywhere(templates, 'AWS::SNS::Topic');

      // THEN
      expect(topics).toHaveLength(2);
      for (const [, topic] of topics) {
        expect(topic.Properties.KmsMasterKeyId).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'],
        });
      }
    });

    it('encrypts every table with a customer-managed key', () => {
      // WHEN
      const tables = everywhere(templates, 'AWS::DynamoDB::GlobalTable');

      // THEN
      expect(tables).toHaveLength(7);
      for (const [, table] of tables) {
        expect(table.Properties.SSESpecification).toEqual({
          SSEEnabled: true,
          SSEType: 'KMS',
        });
        expect(
          table.Properties.Replicas[0].SSESpecification.KMSMasterKeyId
        ).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'],
        });
      }
    });

    it('rotates and retains every key in prod', () => {
      // WHEN
      const keys = everywhere(templates, 'AWS::KMS::Key');

      // THEN
      expect(keys).toHaveLength(6);
      for (const [, key] of keys) {
        expect(key.Properties.EnableKeyRotation).toBe(true);
        expect(key.DeletionPolicy).toBe('Retain');
      }
    });
  });
});
