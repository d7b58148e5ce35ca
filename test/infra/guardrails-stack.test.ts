import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DomainGuardrail } from '../../lib/constructs/domain-guardrail';
import { GUARDRAIL_PROFILES } from '../../lib/constructs/guardrail-profiles';
import { buildTestGateway, createTestApp, templateOf } from './helpers';

// Template JSON is untyped; tests read it structurally.
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Guardrail = { [key: string]: any };

describe('Class: GuardrailsStack', () => {
  let template: Template;
  let byDomain: Record<string, Guardrail>;

  beforeAll(() => {
    template = templateOf(buildTestGateway({ env: 'prod' }).guardrails);
    byDomain = Object.fromEntries(
      Object.values(template.findResources('AWS::Bedrock::Guardrail')).map(
        (g) => [String(g.Properties.Name).replace('ai-gateway-prod-', ''), g]
      )
    );
  });

  const pii = (domain: string): Record<string, string> =>
    Object.fromEntries(
      byDomain[
        domain
      ].Properties.SensitiveInformationPolicyConfig.PiiEntitiesConfig.map(
        (e: { Type: string; Action: string }) => [e.Type, e.Action]
      )
    );

  it('creates one KMS-encrypted guardrail per domain profile', () => {
    // THEN
    expect(Object.keys(byDomain).sort()).toEqual([
      'general',
      'legal',
      'medical',
    ]);
    template.allResourcesProperties('AWS::Bedrock::Guardrail', {
      KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
  });

  it('anonymizes contact data and blocks SSNs and card numbers in every domain', () => {
    for (const domain of ['general', 'legal', 'medical']) {
      // WHEN
      const entities = pii(domain);

      // THEN
      expect(entities).toMatchObject({
        EMAIL: 'ANONYMIZE',
        PHONE: 'ANONYMIZE',
        ADDRESS: 'ANONYMIZE',
        US_SOCIAL_SECURITY_NUMBER: 'BLOCK',
        CREDIT_DEBIT_CARD_NUMBER: 'BLOCK',
      });
    }
  });

  it('anonymizes patient names and record numbers only in the medical domain', () => {
    // THEN
    expect(pii('medical').NAME).toBe('ANONYMIZE');
    expect(pii('legal').NAME).toBeUndefined();
    expect(
      byDomain.medical.Properties.SensitiveInformationPolicyConfig.RegexesConfig
    ).toEqual([
      expect.objectContaining({
        Name: 'MedicalRecordNumber',
        Action: 'ANONYMIZE',
      }),
    ]);
  });

  it('filters prompt attacks on input only', () => {
    // THEN
    template.resourcePropertiesCountIs(
      'AWS::Bedrock::Guardrail',
      {
        ContentPolicyConfig: {
          FiltersConfig: Match.arrayWith([
            {
              Type: 'PROMPT_ATTACK',
              InputStrength: 'HIGH',
              OutputStrength: 'NONE',
            },
          ]),
        },
      },
      3
    );
  });

  it('denies individual diagnosis and prescription dosing in the medical domain', () => {
    // WHEN
    const topics = byDomain.medical.Properties.TopicPolicyConfig.TopicsConfig;

    // THEN
    expect(
      topics.map((t: { Name: string; Type: string }) => [t.Name, t.Type])
    ).toEqual([
      ['Individual diagnosis', 'DENY'],
      ['Individual prescription dosing', 'DENY'],
    ]);
  });

  it('denies personal legal counsel in the legal domain', () => {
    // THEN
    expect(byDomain.legal.Properties.TopicPolicyConfig.TopicsConfig).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Name: 'Personal legal counsel',
          Type: 'DENY',
        }),
      ])
    );
  });

  it('keeps topic definitions and examples within the Bedrock limits', () => {
    for (const guardrail of Object.values(byDomain)) {
      for (const topic of guardrail.Properties.TopicPolicyConfig
        ?.TopicsConfig ?? []) {
        // THEN
        expect(topic.Name).toMatch(/^[0-9a-zA-Z-_ !?.]{1,100}$/);
        expect(topic.Definition.length).toBeLessThanOrEqual(200);
        for (const example of topic.Examples) {
          expect(example.length).toBeLessThanOrEqual(100);
        }
      }
    }
  });

  it('uses the managed profanity list plus custom words', () => {
    // THEN
    template.resourcePropertiesCountIs(
      'AWS::Bedrock::Guardrail',
      {
        WordPolicyConfig: {
          ManagedWordListsConfig: [{ Type: 'PROFANITY' }],
          WordsConfig: Match.arrayWith([
            { Text: 'ignore previous instructions' },
          ]),
        },
      },
      3
    );
  });

  it('publishes a version of each guardrail', () => {
    // THEN
    template.resourceCountIs('AWS::Bedrock::GuardrailVersion', 3);
    template.allResourcesProperties('AWS::Bedrock::GuardrailVersion', {
      GuardrailIdentifier: { 'Fn::GetAtt': [Match.anyValue(), 'GuardrailId'] },
    });
  });

  it('publishes id and version as JSON under /ai/guardrails/{env}/{domain}', () => {
    for (const domain of ['general', 'legal', 'medical']) {
      // GIVEN
      const [guardrailId] = Object.keys(
        template.findResources('AWS::Bedrock::Guardrail', {
          Properties: { Name: `ai-gateway-prod-${domain}` },
        })
      );

      // THEN
      template.hasResourceProperties('AWS::SSM::Parameter', {
        Name: `/ai/guardrails/prod/${domain}`,
        Type: 'String',
        Value: {
          'Fn::Join': [
            '',
            [
              '{"id":"',
              { 'Fn::GetAtt': [guardrailId, 'GuardrailId'] },
              '","version":"',
              { 'Fn::GetAtt': [Match.stringLikeRegexp('Version'), 'Version'] },
              '"}',
            ],
          ],
        },
      });
    }
  });
});

describe('Class: DomainGuardrail', () => {
  const versionDescription = (words: string[]): string => {
    // GIVEN a guardrail whose word list differs
    const stack = new Stack(createTestApp(), 'Test');
    new DomainGuardrail(stack, 'Guardrail', {
      namePrefix: 'test',
      domain: 'general',
      profile: { ...GUARDRAIL_PROFILES.general, words },
      key: new kms.Key(stack, 'Key'),
      parameterPrefix: '/ai/guardrails/test',
    });
    const version = Object.values(
      Template.fromStack(stack).findResources('AWS::Bedrock::GuardrailVersion')
    )[0];
    return version.Properties.Description;
  };

  it('publishes a new version when the policy changes', () => {
    // WHEN
    const before = versionDescription(['alpha']);
    const same = versionDescription(['alpha']);
    const after = versionDescription(['alpha', 'beta']);

    // THEN
    expect(same).toBe(before);
    expect(after).not.toBe(before);
  });
});
