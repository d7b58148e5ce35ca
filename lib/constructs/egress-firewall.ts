import { Fn, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as nfw from 'aws-cdk-lib/aws-networkfirewall';
import { Construct } from 'constructs';
import type { GatewayKey } from './gateway-key';

/** Domain-list capacity; fixed because changing it replaces the rule group. */
export const ALLOWLIST_CAPACITY = 200;

/** Most FQDNs one allowlist holds (each target type uses capacity). */
export const MAX_ALLOWLIST_TARGETS = 90;

/**
 * Stateful default actions. `aws:drop_established` (not `drop_strict`):
 * a domain allowlist matches on the TLS SNI / HTTP Host, which only arrives
 * after the TCP handshake; `drop_strict` would drop the handshake itself and
 * with it every allowed connection. Every packet of an established flow that
 * no allowlist rule passed is dropped and alerted.
 */
export const STATEFUL_DEFAULT_ACTIONS = [
  'aws:drop_established',
  'aws:alert_established',
];

/** Props of {@link EgressFirewall}. */
export interface EgressFirewallProps {
  /** Name prefix of the firewall resources, e.g. `ai-gateway-prod`. */
  readonly namePrefix: string;
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** Public subnets (NAT), one per AZ, in the same AZ order as the others. */
  readonly publicSubnets: readonly ec2.ISubnet[];
  /** Subnets that hold the firewall endpoints, one per AZ. */
  readonly firewallSubnets: readonly ec2.ISubnet[];
  /** Workload subnets whose egress is inspected, one per AZ. */
  readonly privateSubnets: readonly ec2.ISubnet[];
  /** FQDNs allowed out (a leading dot allows subdomains). */
  readonly allowedHosts: readonly string[];
  /** Key for the alert and flow log groups. */
  readonly logKey: GatewayKey;
  /** Log retention. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log groups on stack delete. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Firewall delete and subnet-change protection. */
  readonly deleteProtection: boolean;
}

/**
 * AWS Network Firewall as the only way out of the private subnets: a strict
 * order policy whose single rule group is a TLS SNI + HTTP Host allowlist of
 * provider FQDNs, and default drop for everything else.
 *
 * One firewall per AZ, each with one endpoint: a multi-AZ firewall reports
 * its endpoints as an unordered `az:vpce-id` list that CloudFormation cannot
 * match to subnets without a custom resource, while a single-AZ firewall's
 * only endpoint is `Select(0)`. Billing is per endpoint-hour either way.
 */
export class EgressFirewall extends Construct {
  /** The allowlist rule group. */
  public readonly ruleGroup: nfw.CfnRuleGroup;
  /** The shared firewall policy. */
  public readonly policy: nfw.CfnFirewallPolicy;
  /** One firewall per AZ, in AZ order. */
  public readonly firewalls: nfw.CfnFirewall[];
  /** Firewall endpoint id per AZ, in AZ order. */
  public readonly endpointIds: string[];
  /** ALERT log destination (dropped and alerted flows). */
  public readonly alertLogGroup: logs.LogGroup;
  /** FLOW log destination (every inspected flow). */
  public readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EgressFirewallProps) {
    super(scope, id);
    validate(props);

    this.ruleGroup = new nfw.CfnRuleGroup(this, 'AllowlistRuleGroup', {
      ruleGroupName: `${props.namePrefix}-provider-allowlist`,
      type: 'STATEFUL',
      capacity: ALLOWLIST_CAPACITY,
      description: 'FQDNs of the model providers the gateway may call',
      ruleGroup: {
        rulesSource: {
          rulesSourceList: {
            generatedRulesType: 'ALLOWLIST',
            targetTypes: ['TLS_SNI', 'HTTP_HOST'],
            targets: [...props.allowedHosts],
          },
        },
        statefulRuleOptions: { ruleOrder: 'STRICT_ORDER' },
      },
    });

    this.policy = new nfw.CfnFirewallPolicy(this, 'Policy', {
      firewallPolicyName: `${props.namePrefix}-egress`,
      description: 'Default drop; only the provider allowlist passes',
      firewallPolicy: {
        statelessDefaultActions: ['aws:forward_to_sfe'],
        statelessFragmentDefaultActions: ['aws:forward_to_sfe'],
        statefulEngineOptions: { ruleOrder: 'STRICT_ORDER' },
        statefulDefaultActions: STATEFUL_DEFAULT_ACTIONS,
        statefulRuleGroupReferences: [
          { resourceArn: this.ruleGroup.attrRuleGroupArn, priority: 100 },
        ],
      },
    });

    this.alertLogGroup = new logs.LogGroup(this, 'AlertLogGroup', {
      encryptionKey: props.logKey.allowCloudWatchLogs().key,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      encryptionKey: props.logKey.key,
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    this.firewalls = [];
    this.endpointIds = [];
    props.firewallSubnets.forEach((firewallSubnet, index) => {
      // Namespace per AZ: the index is stable as long as the AZ list is.
      const az = new Construct(this, `Az${index + 1}`);
      const firewall = new nfw.CfnFirewall(az, 'Firewall', {
        firewallName: `${props.namePrefix}-egress-az${index + 1}`,
        firewallPolicyArn: this.policy.attrFirewallPolicyArn,
        vpcId: props.vpc.vpcId,
        subnetMappings: [{ subnetId: firewallSubnet.subnetId }],
        deleteProtection: props.deleteProtection,
        subnetChangeProtection: props.deleteProtection,
      });
      new nfw.CfnLoggingConfiguration(az, 'Logging', {
        firewallArn: firewall.attrFirewallArn,
        loggingConfiguration: {
          logDestinationConfigs: [
            {
              logType: 'ALERT',
              logDestinationType: 'CloudWatchLogs',
              logDestination: { logGroup: this.alertLogGroup.logGroupName },
            },
            {
              logType: 'FLOW',
              logDestinationType: 'CloudWatchLogs',
              logDestination: { logGroup: this.flowLogGroup.logGroupName },
            },
          ],
        },
      });
      // Entries look like "eu-central-1a:vpce-0123"; a one-subnet firewall has one.
      const endpointId = Fn.select(
        1,
        Fn.split(':', Fn.select(0, firewall.attrEndpointIds))
      );

      // Workload egress goes to the firewall endpoint of its own AZ...
      new ec2.CfnRoute(az, 'PrivateDefaultRoute', {
        routeTableId: props.privateSubnets[index].routeTable.routeTableId,
        destinationCidrBlock: '0.0.0.0/0',
        vpcEndpointId: endpointId,
      });
      // ...and replies coming back through the NAT return the same way, so
      // the stateful engine sees both directions of every flow. The
      // destination is the subnet CIDR: the VPC CIDR is taken by the local route.
      new ec2.CfnRoute(az, 'ReturnRoute', {
        routeTableId: props.publicSubnets[index].routeTable.routeTableId,
        destinationCidrBlock: props.privateSubnets[index].ipv4CidrBlock,
        vpcEndpointId: endpointId,
      });
      // The firewall subnet's own default route to the NAT is created by
      // the VPC (PRIVATE_WITH_EGRESS).

      this.firewalls.push(firewall);
      this.endpointIds.push(endpointId);
    });
  }
}

function validate(props: EgressFirewallProps): void {
  const problems: string[] = [];
  const azs = props.firewallSubnets.length;
  if (azs === 0) problems.push('firewallSubnets must not be empty');
  if (
    props.privateSubnets.length !== azs ||
    props.publicSubnets.length !== azs
  ) {
    problems.push(
      `publicSubnets, firewallSubnets and privateSubnets need one subnet per AZ each, got ${props.publicSubnets.length}, ${azs} and ${props.privateSubnets.length}`
    );
  }
  if (props.allowedHosts.length === 0) {
    problems.push('allowedHosts must not be empty');
  }
  if (props.allowedHosts.length > MAX_ALLOWLIST_TARGETS) {
    problems.push(
      `allowedHosts must hold at most ${MAX_ALLOWLIST_TARGETS} FQDNs, got ${props.allowedHosts.length}`
    );
  }
  if (problems.length > 0) {
    throw new Error(`EgressFirewall: ${problems.join('; ')}`);
  }
}
