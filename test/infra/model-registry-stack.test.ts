import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildTestGateway, templateOf } from './helpers';

const TABLE = 'AWS::DynamoDB::GlobalTable';

describe('Class: ModelRegistryStack', () => {
  let dev: Template;
  let prod: Template;

  beforeAll(() => {
    dev = templateOf(buildTestGateway({ env: 'dev' }).registry);
    prod = templateOf(buildTestGateway({ env: 'prod' }).registry);
  });

  const tableNamed = (template: Template, logicalIdPrefix: string) => {
    const found = Object.entries(template.findResources(TABLE)).filter(([id]) =>
      id.startsWith(logicalIdPrefix)
    );
    expect(found).toHaveLength(1);
    return found[0][1].Properties;
  };

  describe('tables', () => {
    it('creates seven on-demand tables', () => {
      // THEN
      dev.resourceCountIs(TABLE, 7);
      dev.allResourcesProperties(TABLE, { BillingMode: 'PAY_PER_REQUEST' });
    });

    it('encrypts every table with the customer-managed key', () => {
      // THEN
      dev.allResourcesProperties(TABLE, {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          Match.objectLike({
            SSESpecification: {
              KMSMasterKeyId: {
                'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'],
              },
            },
          }),
        ],
      });
      dev.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it('turns on point-in-time recovery for every table', () => {
      // THEN
      dev.allResourcesProperties(TABLE, {
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: {
              PointInTimeRecoveryEnabled: true,
            },
          }),
        ],
      });
    });

    it('expires cache, usage and decisions items by expiresAt', () => {
      for (const id of ['CacheTable', 'UsageTable', 'DecisionsTable']) {
        // THEN
        expect(tableNamed(dev, id).TimeToLiveSpecification).toEqual({
          AttributeName: 'expiresAt',
          Enabled: true,
        });
      }
    });

    it('keeps registry, tenants and audit items without a TTL', () => {
      for (const id of ['RegistryTable', 'TenantsTable', 'AuditTable']) {
        // THEN
        expect(tableNamed(dev, id).TimeToLiveSpecification).toBeUndefined();
      }
    });

    it('keys the registry by pk (provider#model) and sk (version)', () => {
      // THEN
      expect(tableNamed(dev, 'RegistryTable').KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    });

    it('keys the cache by pk alone', () => {
      // THEN
      expect(tableNamed(dev, 'CacheTable').KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
      ]);
    });

    it('uses the Powertools idempotency defaults: key id, TTL expiration', () => {
      // WHEN
      const table = tableNamed(dev, 'IdempotencyTable');

      // THEN
      expect(table.KeySchema).toEqual([
        { AttributeName: 'id', KeyType: 'HASH' },
      ]);
      expect(table.TimeToLiveSpecification).toEqual({
        AttributeName: 'expiration',
        Enabled: true,
      });
    });

    it('protects and retains the tables in prod', () => {
      // THEN
      prod.allResources(TABLE, {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
        }),
      });
    });

    it('leaves the tables deletable in dev', () => {
      // THEN
      dev.allResources(TABLE, {
        DeletionPolicy: 'Delete',
        Properties: Match.objectLike({
          Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
        }),
      });
    });
  });

  describe('parameters', () => {
    it('publishes the initial active route set', () => {
      // THEN
      dev.hasResourceProperties('AWS::SSM::Parameter', {
        Name: '/ai/routing/dev/active-models',
        Type: 'String',
        Value: '{"name":"active-models","version":1,"models":[]}',
      });
    });

    it('creates the global and per-provider kill switches as off', () => {
      for (const name of [
        'global',
        'provider/bedrock',
        'provider/gemini',
        'provider/openai-compatible',
      ]) {
        // THEN
        dev.hasResourceProperties('AWS::SSM::Parameter', {
          Name: `/ai/kill-switches/dev/${name}`,
          Value: 'off',
        });
      }
    });

    it('names the parameters after the environment', () => {
      // THEN
      prod.hasResourceProperties('AWS::SSM::Parameter', {
        Name: '/ai/kill-switches/prod/global',
      });
      prod.hasResourceProperties('AWS::SSM::Parameter', {
        Name: '/ai/routing/prod/active-models',
      });
    });
  });
});
