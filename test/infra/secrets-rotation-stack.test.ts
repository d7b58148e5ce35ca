import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  actionsOf,
  buildTestGateway,
  iamStatements,
  templateOf,
} from './helpers';

const KEY_ARN = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };

describe('Class: SecretsRotationStack', () => {
  let template: Template;

  beforeAll(() => {
    template = templateOf(
      buildTestGateway({ env: 'dev', openaiCompatibleProviders: 'vllm' })
        .secrets
    );
  });

  it('creates a customer-managed key with yearly rotation', () => {
    // THEN
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
    });
    template.hasResourceProperties('AWS::KMS::Alias', {
      AliasName: 'alias/ai-gateway/dev/secrets',
    });
  });

  it('creates the Google, Llama and per-provider secrets under the env prefix', () => {
    // WHEN
    const names = Object.values(
      template.findResources('AWS::SecretsManager::Secret')
    ).map((s) => s.Properties.Name);

    // THEN
    expect(names.sort()).toEqual([
      'ai-gateway/dev/google',
      'ai-gateway/dev/llama',
      'ai-gateway/dev/openai-compatible/vllm',
    ]);
  });

  it('encrypts every secret with the stack key', () => {
    // THEN
    template.allResourcesProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: KEY_ARN,
    });
  });

  it('rotates every secret every 30 days with the rotation function', () => {
    // THEN
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 3);
    template.allResourcesProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: Match.stringLikeRegexp('^ProviderSecrets') },
      RotationLambdaARN: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^RotationFunction'), 'Arn'],
      },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
  });

  it('lets Secrets Manager invoke the function only for these secrets', () => {
    // THEN
    template.resourceCountIs('AWS::Lambda::Permission', 3);
    template.allResourcesProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      SourceArn: { Ref: Match.stringLikeRegexp('^ProviderSecrets') },
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('limits the rotation function to the four rotation actions on the exact secrets', () => {
    // WHEN
    const secretStatements = iamStatements(template).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:'))
    );

    // THEN
    expect(secretStatements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: [
          { Ref: expect.stringMatching(/^ProviderSecretsGoogle/) },
          { Ref: expect.stringMatching(/^ProviderSecretsLlama/) },
          {
            Ref: expect.stringMatching(/^ProviderSecretsOpenAiCompatiblevllm/),
          },
        ],
      },
    ]);
  });

  it('lets the rotation function use the key only through Secrets Manager', () => {
    // THEN
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: KEY_ARN,
            Condition: {
              StringEquals: {
                'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com',
              },
            },
          },
        ]),
      },
    });
  });

  it('sends Secrets Manager rotation failures to the alert topic', () => {
    // THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventName: ['RotationFailed', 'RotationAbandoned'] },
      },
      Targets: [
        {
          Arn: { Ref: Match.stringLikeRegexp('^AlertTopic') },
          Id: Match.anyValue(),
        },
      ],
    });
  });

  it('sends failed RotateSecret API calls to the alert topic', () => {
    // THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: { eventName: ['RotateSecret'], errorCode: [{ exists: true }] },
      },
      Targets: [
        {
          Arn: { Ref: Match.stringLikeRegexp('^AlertTopic') },
          Id: Match.anyValue(),
        },
      ],
    });
  });

  it('alarms to the alert topic when the rotation function errors', () => {
    // THEN
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ai-gateway-dev-rotation-errors',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: Match.stringLikeRegexp('^RotationFunction') },
        },
      ],
      Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertTopic') }],
    });
  });

  it('encrypts the alert topic and refuses publishing without TLS', () => {
    // THEN
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: KEY_ARN,
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets CloudWatch alarms and EventBridge use the key to publish', () => {
    // WHEN
    const policy = Object.values(template.findResources('AWS::KMS::Key'))[0]
      .Properties.KeyPolicy.Statement as {
      Principal?: { Service?: string | string[] };
    }[];
    const services = policy.flatMap((s) => s.Principal?.Service ?? []);

    // THEN
    expect(services).toEqual(
      expect.arrayContaining([
        'cloudwatch.amazonaws.com',
        'events.amazonaws.com',
      ])
    );
  });

  it('logs the rotation function to a KMS-encrypted log group', () => {
    // THEN
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: KEY_ARN,
      RetentionInDays: 7,
    });
  });
});
