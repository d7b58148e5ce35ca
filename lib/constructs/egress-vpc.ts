import type { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { GatewayKey } from './gateway-key';

/** Subnet group names of {@link EgressVpc}. */
export const SUBNET_GROUPS = {
  public: 'Public',
  firewall: 'Firewall',
  private: 'Private',
} as const;

/** Props of {@link EgressVpc}. */
export interface EgressVpcProps {
  /** Key for the flow log group. */
  readonly logKey: GatewayKey;
  /** Flow log retention. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the flow log group on stack delete. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** @default '10.40.0.0/16' */
  readonly cidr?: string;
  /**
   * Availability zones (each gets a NAT gateway and a firewall endpoint).
   * @default 2
   */
  readonly maxAzs?: number;
}

/**
 * A VPC with three subnet tiers per AZ: public (NAT gateway, internet
 * gateway), firewall (Network Firewall endpoint, default route to the NAT)
 * and private (Lambda ENIs and interface endpoints). Private subnets are
 * created as PRIVATE_ISOLATED on purpose: CDK would route a
 * PRIVATE_WITH_EGRESS subnet straight to the NAT, bypassing the firewall;
 * EgressFirewall adds their default route to the firewall endpoint instead.
 */
export class EgressVpc extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.Vpc;
  /** Public subnets (NAT gateways), one per AZ, in AZ order. */
  public readonly publicSubnets: ec2.ISubnet[];
  /** Firewall subnets, one per AZ, in AZ order. */
  public readonly firewallSubnets: ec2.ISubnet[];
  /** Private workload subnets, one per AZ, in AZ order. */
  public readonly privateSubnets: ec2.ISubnet[];
  /** Flow log destination. */
  public readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EgressVpcProps) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    if (maxAzs < 1 || maxAzs > 6) {
      throw new Error(`maxAzs must be between 1 and 6, got ${maxAzs}`);
    }

    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.40.0.0/16'),
      maxAzs,
      // One NAT per AZ keeps the firewall -> NAT -> firewall path inside
      // one AZ, which the symmetric return routes below rely on.
      natGateways: maxAzs,
      subnetConfiguration: [
        {
          name: SUBNET_GROUPS.public,
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: 26,
          mapPublicIpOnLaunch: false,
        },
        {
          name: SUBNET_GROUPS.firewall,
          subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
          cidrMask: 28,
        },
        {
          name: SUBNET_GROUPS.private,
          subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: 20,
        },
      ],
    });

    this.publicSubnets = this.vpc.selectSubnets({
      subnetGroupName: SUBNET_GROUPS.public,
    }).subnets;
    this.firewallSubnets = this.vpc.selectSubnets({
      subnetGroupName: SUBNET_GROUPS.firewall,
    }).subnets;
    this.privateSubnets = this.vpc.selectSubnets({
      subnetGroupName: SUBNET_GROUPS.private,
    }).subnets;

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      encryptionKey: props.logKey.allowCloudWatchLogs().key,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
