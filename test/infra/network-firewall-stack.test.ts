import { Match, type Template } from 'aws-cdk-lib/assertions';
import {
  EU_GEMINI_HOSTS,
  GLOBAL_GEMINI_HOSTS,
} from '../../lib/config/provider-hosts';
import { buildTestGateway, templateOf } from './helpers';

const endpointOf = (firewallLogicalId: string) => ({
  'Fn::Select': [
    1,
    {
      'Fn::Split': [
        ':',
        {
          'Fn::Select': [
            0,
            { 'Fn::GetAtt': [firewallLogicalId, 'EndpointIds'] },
          ],
        },
      ],
    },
  ],
});

const logicalIdOf = (
  template: Template,
  type: string,
  props: Record<string, unknown>
): string => {
  const found = Object.keys(
    template.findResources(type, { Properties: props })
  );
  expect(found).toHaveLength(1);
  return found[0];
};

describe('Class: NetworkFirewallStack', () => {
  let template: Template;
  let euTemplate: Template;
  let prodTemplate: Template;

  beforeAll(() => {
    template = templateOf(
      buildTestGateway({
        env: 'staging',
        providerHosts: 'llm.example.com,.vllm.example.org',
      }).network!
    );
    euTemplate = templateOf(
      buildTestGateway({ env: 'staging', euOnly: true }).network!
    );
    prodTemplate = templateOf(buildTestGateway({ env: 'prod' }).network!);
  });

  describe('firewall rules', () => {
    it('allowlists the provider FQDNs for TLS SNI and HTTP Host', () => {
      // GIVEN the staging network (WHEN synthesized in beforeAll)
      // THEN
      template.hasResourceProperties('AWS::NetworkFirewall::RuleGroup', {
        Type: 'STATEFUL',
        RuleGroup: {
          RulesSource: {
            RulesSourceList: {
              GeneratedRulesType: 'ALLOWLIST',
              TargetTypes: ['TLS_SNI', 'HTTP_HOST'],
              Targets: Match.arrayWith([
                'generativelanguage.googleapis.com',
                'aiplatform.googleapis.com',
                '.aiplatform.googleapis.com',
                'oauth2.googleapis.com',
                'iamcredentials.googleapis.com',
                'iam.googleapis.com',
                'api.llama.com',
              ]),
            },
          },
        },
      });
    });

    it('adds the operator providerHosts to the allowlist', () => {
      // GIVEN -c providerHosts=llm.example.com,.vllm.example.org
      // THEN
      template.hasResourceProperties('AWS::NetworkFirewall::RuleGroup', {
        RuleGroup: {
          RulesSource: {
            RulesSourceList: {
              Targets: Match.arrayWith([
                'llm.example.com',
                '.vllm.example.org',
              ]),
            },
          },
        },
      });
    });

    it('restricts Gemini to EU Vertex AI endpoints when euOnly', () => {
      // GIVEN -c euOnly=true
      // WHEN
      const ruleGroup = Object.values(
        euTemplate.findResources('AWS::NetworkFirewall::RuleGroup')
      )[0];
      const targets: string[] =
        ruleGroup.Properties.RuleGroup.RulesSource.RulesSourceList.Targets;

      // THEN
      expect(targets).toEqual(expect.arrayContaining([...EU_GEMINI_HOSTS]));
      for (const globalHost of GLOBAL_GEMINI_HOSTS) {
        expect(targets).not.toContain(globalHost);
      }
    });

    it('evaluates the rule group and the policy in strict order', () => {
      // THEN
      template.hasResourceProperties('AWS::NetworkFirewall::RuleGroup', {
        RuleGroup: { StatefulRuleOptions: { RuleOrder: 'STRICT_ORDER' } },
      });
      template.hasResourceProperties('AWS::NetworkFirewall::FirewallPolicy', {
        FirewallPolicy: {
          StatefulEngineOptions: { RuleOrder: 'STRICT_ORDER' },
          StatefulRuleGroupReferences: [
            {
              ResourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'RuleGroupArn'] },
              Priority: 100,
            },
          ],
        },
      });
    });

    it('drops and alerts on everything the allowlist does not pass', () => {
      // THEN
      template.hasResourceProperties('AWS::NetworkFirewall::FirewallPolicy', {
        FirewallPolicy: {
          StatelessDefaultActions: ['aws:forward_to_sfe'],
          StatelessFragmentDefaultActions: ['aws:forward_to_sfe'],
          StatefulDefaultActions: [
            'aws:drop_established',
            'aws:alert_established',
          ],
        },
      });
    });

    it('fails when the allowlist outgrows the rule group capacity', () => {
      // GIVEN
      const hosts = Array.from({ length: 100 }, (_, i) => `h${i}.example.com`);

      // WHEN / THEN
      expect(() =>
        buildTestGateway({ env: 'staging', providerHosts: hosts.join(',') })
      ).toThrow(/allowedHosts must hold at most 90 FQDNs, got 1\d\d/);
    });
  });

  describe('firewall placement and logging', () => {
    it('deploys one single-endpoint firewall per firewall subnet', () => {
      // THEN
      template.resourceCountIs('AWS::NetworkFirewall::Firewall', 2);
      for (const n of [1, 2]) {
        template.hasResourceProperties('AWS::NetworkFirewall::Firewall', {
          SubnetMappings: [
            {
              SubnetId: {
                Ref: Match.stringLikeRegexp(`^VpcFirewallSubnet${n}Subnet`),
              },
            },
          ],
          FirewallPolicyArn: {
            'Fn::GetAtt': [Match.anyValue(), 'FirewallPolicyArn'],
          },
        });
      }
    });

    it('sends alert and flow logs of every firewall to CloudWatch Logs', () => {
      // THEN
      template.resourceCountIs('AWS::NetworkFirewall::LoggingConfiguration', 2);
      template.allResourcesProperties(
        'AWS::NetworkFirewall::LoggingConfiguration',
        {
          LoggingConfiguration: {
            LogDestinationConfigs: [
              Match.objectLike({
                LogType: 'ALERT',
                LogDestinationType: 'CloudWatchLogs',
              }),
              Match.objectLike({
                LogType: 'FLOW',
                LogDestinationType: 'CloudWatchLogs',
              }),
            ],
          },
        }
      );
    });

    it('protects the firewalls from deletion in prod only', () => {
      // THEN
      prodTemplate.allResourcesProperties('AWS::NetworkFirewall::Firewall', {
        DeleteProtection: true,
        SubnetChangeProtection: true,
      });
      template.allResourcesProperties('AWS::NetworkFirewall::Firewall', {
        DeleteProtection: false,
      });
    });
  });

  describe('routing', () => {
    it('routes private-subnet egress to the firewall endpoint of its AZ', () => {
      for (const n of [1, 2]) {
        // GIVEN
        const firewall = logicalIdOf(
          template,
          'AWS::NetworkFirewall::Firewall',
          {
            FirewallName: `ai-gateway-staging-egress-az${n}`,
          }
        );

        // THEN
        template.hasResourceProperties('AWS::EC2::Route', {
          RouteTableId: {
            Ref: Match.stringLikeRegexp(`^VpcPrivateSubnet${n}RouteTable`),
          },
          DestinationCidrBlock: '0.0.0.0/0',
          VpcEndpointId: endpointOf(firewall),
        });
      }
    });

    it('routes firewall-subnet egress to the NAT gateway of its AZ', () => {
      for (const n of [1, 2]) {
        // THEN
        template.hasResourceProperties('AWS::EC2::Route', {
          RouteTableId: {
            Ref: Match.stringLikeRegexp(`^VpcFirewallSubnet${n}RouteTable`),
          },
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: {
            Ref: Match.stringLikeRegexp(`^VpcPublicSubnet${n}NATGateway`),
          },
        });
      }
    });

    it('returns NAT traffic for the private subnets through the firewall', () => {
      for (const n of [1, 2]) {
        // GIVEN
        const firewall = logicalIdOf(
          template,
          'AWS::NetworkFirewall::Firewall',
          {
            FirewallName: `ai-gateway-staging-egress-az${n}`,
          }
        );
        const privateCidr = Object.values(
          template.findResources('AWS::EC2::Subnet', {
            Properties: {
              Tags: Match.arrayWith([
                {
                  Key: 'Name',
                  Value: Match.stringLikeRegexp(`PrivateSubnet${n}$`),
                },
              ]),
            },
          })
        )[0].Properties.CidrBlock;

        // THEN
        template.hasResourceProperties('AWS::EC2::Route', {
          RouteTableId: {
            Ref: Match.stringLikeRegexp(`^VpcPublicSubnet${n}RouteTable`),
          },
          DestinationCidrBlock: privateCidr,
          VpcEndpointId: endpointOf(firewall),
        });
      }
    });

    it('gives the private subnets no route that bypasses the firewall', () => {
      // WHEN
      const privateDefaults = Object.values(
        template.findResources('AWS::EC2::Route', {
          Properties: {
            RouteTableId: { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet') },
          },
        })
      );

      // THEN
      expect(privateDefaults).toHaveLength(2);
      for (const route of privateDefaults) {
        expect(route.Properties.NatGatewayId).toBeUndefined();
        expect(route.Properties.GatewayId).toBeUndefined();
      }
    });
  });

  describe('endpoints and security groups', () => {
    it('creates interface endpoints for exactly the AWS services the functions call', () => {
      // WHEN
      const services = Object.values(
        template.findResources('AWS::EC2::VPCEndpoint', {
          Properties: { VpcEndpointType: 'Interface' },
        })
      ).map((e) => e.Properties.ServiceName);

      // THEN
      expect(services.sort()).toEqual(
        [
          'appconfigdata',
          'bedrock-runtime',
          'kms',
          'logs',
          'monitoring',
          'secretsmanager',
          'ssm',
          'sts',
        ].map((s) => `com.amazonaws.eu-central-1.${s}`)
      );
    });

    it('puts the interface endpoints in the private subnets with private DNS', () => {
      // THEN
      template.resourcePropertiesCountIs(
        'AWS::EC2::VPCEndpoint',
        {
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
          SubnetIds: [
            { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1Subnet') },
            { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2Subnet') },
          ],
        },
        8
      );
    });

    it('adds a DynamoDB gateway endpoint to the private route tables', () => {
      // THEN
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith(['.dynamodb'])],
        }),
        RouteTableIds: [
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1RouteTable') },
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2RouteTable') },
        ],
      });
    });

    it('lets only the function security group reach the endpoints', () => {
      // THEN
      template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [
            Match.stringLikeRegexp('^LambdaSecurityGroup'),
            'GroupId',
          ],
        },
      });
    });

    it('allows the functions HTTPS egress only', () => {
      // THEN
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^Gateway functions'),
        SecurityGroupEgress: [
          Match.objectLike({
            CidrIp: '0.0.0.0/0',
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
          }),
        ],
      });
    });
  });

  describe('logs', () => {
    it('turns on VPC flow logs for all traffic', () => {
      // THEN
      template.hasResourceProperties('AWS::EC2::FlowLog', {
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 'cloud-watch-logs',
      });
    });

    it('encrypts every log group with the stack key and sets a retention', () => {
      // WHEN
      const groups = template.findResources('AWS::Logs::LogGroup');

      // THEN
      expect(Object.keys(groups)).toHaveLength(3);
      template.allResourcesProperties('AWS::Logs::LogGroup', {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        RetentionInDays: 30,
      });
    });

    it('lets CloudWatch Logs use the key for this account only', () => {
      // THEN
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Sid: 'AllowCloudWatchLogs',
              Principal: { Service: 'logs.eu-central-1.amazonaws.com' },
              Condition: {
                ArnLike: {
                  'kms:EncryptionContext:aws:logs:arn': Match.anyValue(),
                },
              },
            }),
          ]),
        },
      });
    });
  });
});
