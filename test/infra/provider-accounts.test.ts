import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { bedrockProviderAccounts } from '../../lib/config/provider-accounts';
import {
  actionsOf,
  buildTestGateway,
  iamStatements,
  templateOf,
} from './helpers';

const ROLE_A = 'arn:aws:iam::210987654321:role/ai-gateway-bedrock';
const ROLE_B = 'arn:aws:iam::345678901234:role/bedrock-us';

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'provider-accounts-'));
  const path = join(dir, 'gateway.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const assumeStatements = (template: Template) =>
  iamStatements(template).filter((s) =>
    actionsOf(s).includes('sts:AssumeRole')
  );

describe('Cross-account Bedrock grants (OrchestrationStack)', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN two Bedrock providers in other accounts and one in the router's
    const routerConfig = configFile({
      providers: {
        bedrock: {},
        'bedrock-eu': {
          type: 'bedrock',
          region: 'eu-central-1',
          roleArn: ROLE_A,
          externalId: 'gateway-ext-1',
        },
        'bedrock-us': {
          type: 'bedrock',
          region: 'us-east-1',
          roleArn: ROLE_B,
        },
      },
    });
    // WHEN
    template = templateOf(
      buildTestGateway({ env: 'dev', routerConfig }).orchestration
    );
  });

  it('grants sts:AssumeRole on exactly the configured role ARNs', () => {
    // THEN
    const found = assumeStatements(template);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: [ROLE_A, ROLE_B],
      Sid: 'AssumeBedrockProviderRoles',
    });
  });

  it('outputs the trust policy of each provider role, with the external id condition', () => {
    // THEN
    const outputs = template.findOutputs('*');
    const values = Object.values(outputs).map((o) => JSON.stringify(o.Value));
    const eu = values.find((v) => v.includes('gateway-ext-1'));
    expect(eu).toBeDefined();
    expect(eu).toContain('sts:ExternalId');
    expect(eu).toContain('sts:AssumeRole');
    // The principal is the router role's ARN, resolved at deploy time.
    expect(eu).toMatch(/Fn::GetAtt.*Router.*Arn/);
    expect(values.filter((v) => v.includes('sts:AssumeRole')).length).toBe(2);
  });

  it('adds no sts:AssumeRole without a roleArn in the config', () => {
    // WHEN
    const plain = templateOf(buildTestGateway({ env: 'dev' }).orchestration);
    // THEN
    expect(assumeStatements(plain)).toHaveLength(0);
  });
});

describe('Function: bedrockProviderAccounts', () => {
  it('lists only bedrock providers with a role', () => {
    expect(
      bedrockProviderAccounts(
        JSON.stringify({
          providers: {
            bedrock: {},
            x: { type: 'bedrock', roleArn: ROLE_A, externalId: 'e-1' },
            gemini: { mode: 'api' },
          },
        })
      )
    ).toEqual([{ providerId: 'x', roleArn: ROLE_A, externalId: 'e-1' }]);
    expect(bedrockProviderAccounts(undefined)).toEqual([]);
  });
});
