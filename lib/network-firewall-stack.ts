import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { providerAllowlist } from './config/provider-hosts';
import { EgressFirewall } from './constructs/egress-firewall';
import { EgressVpc } from './constructs/egress-vpc';
import type { GatewayFunctionNetwork } from './constructs/gateway-function';
import { GatewayKey } from './constructs/gateway-key';
import { ServiceEndpoints } from './constructs/service-endpoints';
import { type GatewayStackProps, namePrefix } from './gateway-stack-props';

/** Props of {@link NetworkFirewallStack}. */
export interface NetworkFirewallStackProps extends GatewayStackProps {
  /** Only EU Vertex AI endpoints pass the firewall. */
  readonly euOnly: boolean;
  /** Extra FQDNs to allow (OpenAI-compatible providers). @default - none */
  readonly providerHosts?: readonly string[];
}

/**
 * Private networking for staging/prod: a VPC whose only path to the
 * internet is a Network Firewall allowlist of model providers, plus private
 * endpoints for the AWS services the functions call.
 */
export class NetworkFirewallStack extends Stack {
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** Private (firewall-inspected) subnets where functions run. */
  public readonly privateSubnets: ec2.ISubnet[];
  /** Security group of every gateway function. */
  public readonly lambdaSecurityGroup: ec2.SecurityGroup;
  /** Placement to hand to GatewayFunction. */
  public readonly functionNetwork: GatewayFunctionNetwork;
  /** The firewall. */
  public readonly firewall: EgressFirewall;
  /** The VPC endpoints. */
  public readonly endpoints: ServiceEndpoints;

  constructor(scope: Construct, id: string, props: NetworkFirewallStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const prefix = namePrefix(props.gatewayEnv);

    const key = new GatewayKey(this, 'Key', {
      alias: `ai-gateway/${props.gatewayEnv}/network`,
      description: 'Encrypts the VPC flow logs and firewall logs',
      removalPolicy: settings.removalPolicy,
      pendingWindow: settings.keyPendingWindow,
    });

    const network = new EgressVpc(this, 'Vpc', {
      logKey: key,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
    });

    this.firewall = new EgressFirewall(this, 'Firewall', {
      namePrefix: prefix,
      vpc: network.vpc,
      publicSubnets: network.publicSubnets,
      firewallSubnets: network.firewallSubnets,
      privateSubnets: network.privateSubnets,
      allowedHosts: providerAllowlist({
        euOnly: props.euOnly,
        extraHosts: props.providerHosts,
      }),
      logKey: key,
      logRetention: settings.logRetention,
      logRemovalPolicy: settings.removalPolicy,
      deleteProtection: settings.deletionProtection,
    });

    this.lambdaSecurityGroup = new ec2.SecurityGroup(
      this,
      'LambdaSecurityGroup',
      {
        vpc: network.vpc,
        description: 'Gateway functions: HTTPS out (endpoints and firewall)',
        allowAllOutbound: false,
      }
    );
    // Everything leaves on 443: AWS services through the endpoints, providers
    // through the firewall, which decides by SNI.
    this.lambdaSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to endpoints and allowlisted providers'
    );

    this.endpoints = new ServiceEndpoints(this, 'Endpoints', {
      vpc: network.vpc,
      subnets: network.privateSubnets,
      clientSecurityGroup: this.lambdaSecurityGroup,
    });

    this.vpc = network.vpc;
    this.privateSubnets = network.privateSubnets;
    this.functionNetwork = {
      vpc: this.vpc,
      subnets: this.privateSubnets,
      securityGroups: [this.lambdaSecurityGroup],
    };
  }
}
