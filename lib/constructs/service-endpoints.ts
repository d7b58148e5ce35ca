import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/**
 * AWS services the gateway's functions call, reached privately so that the
 * firewall allowlist holds only third-party providers: Bedrock Runtime
 * (model calls, ApplyGuardrail), SSM (kill switches, route sets), Secrets
 * Manager, CloudWatch Logs and Monitoring, KMS, STS, and AppConfig Data
 * (feature flags). Keys are construct ids.
 */
export const INTERFACE_ENDPOINT_SERVICES: Readonly<
  Record<string, ec2.InterfaceVpcEndpointAwsService>
> = {
  BedrockRuntime: ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
  Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  AppConfigData: ec2.InterfaceVpcEndpointAwsService.APPCONFIGDATA,
};

/** Props of {@link ServiceEndpoints}. */
export interface ServiceEndpointsProps {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** Subnets that get the endpoint ENIs and the DynamoDB gateway route. */
  readonly subnets: readonly ec2.ISubnet[];
  /** Security group of the clients allowed to reach the endpoints on 443. */
  readonly clientSecurityGroup: ec2.ISecurityGroup;
}

/**
 * Interface endpoints (private DNS) for {@link INTERFACE_ENDPOINT_SERVICES}
 * and a DynamoDB gateway endpoint, all in the private subnets. The shared
 * endpoint security group accepts HTTPS from the function security group only.
 */
export class ServiceEndpoints extends Construct {
  /** Security group of the interface endpoints. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Interface endpoints by construct id. */
  public readonly interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpoint>;
  /** The DynamoDB gateway endpoint. */
  public readonly dynamoDbEndpoint: ec2.GatewayVpcEndpoint;

  constructor(scope: Construct, id: string, props: ServiceEndpointsProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Interface endpoints: HTTPS from gateway functions only',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.clientSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS from gateway functions'
    );

    const subnets = { subnets: [...props.subnets] };
    this.interfaceEndpoints = {};
    for (const [endpointId, service] of Object.entries(
      INTERFACE_ENDPOINT_SERVICES
    )) {
      this.interfaceEndpoints[endpointId] = new ec2.InterfaceVpcEndpoint(
        this,
        endpointId,
        {
          vpc: props.vpc,
          service,
          subnets,
          privateDnsEnabled: true,
          securityGroups: [this.securityGroup],
          open: false,
        }
      );
    }

    this.dynamoDbEndpoint = new ec2.GatewayVpcEndpoint(this, 'DynamoDb', {
      vpc: props.vpc,
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [subnets],
    });
  }
}
