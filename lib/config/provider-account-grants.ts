import { CfnOutput, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { GatewayFunction } from '../constructs/gateway-function';
import {
  bedrockProviderAccounts,
  providerAccountTrustPolicy,
} from './provider-accounts';

/**
 * Lets the router assume the roles of its cross-account Bedrock providers
 * (`providers.<id>.roleArn`): one `sts:AssumeRole` statement on exactly those
 * ARNs, and one stack output per provider with the trust policy the target
 * account's role needs (the router role's ARN resolved at deploy time).
 * Nothing is added when no provider sets a role.
 */
export function grantProviderAccounts(
  router: GatewayFunction,
  routerConfigJson: string | undefined
): void {
  const accounts = bedrockProviderAccounts(routerConfigJson);
  if (accounts.length === 0) return;
  router.addToPolicy({
    sid: 'AssumeBedrockProviderRoles',
    actions: ['sts:AssumeRole'],
    resources: [...new Set(accounts.map((a) => a.roleArn))],
  });
  const stack = Stack.of(router);
  const outputs = new Construct(router, 'ProviderAccounts');
  for (const account of accounts) {
    new CfnOutput(outputs, account.providerId, {
      description: `Trust policy for ${account.roleArn} (provider ${account.providerId}); see docs/deploy.md "Cross-account Bedrock"`,
      value: stack.toJsonString(
        providerAccountTrustPolicy(router.role.roleArn, account)
      ),
    });
  }
}
