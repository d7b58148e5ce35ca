import { Stack, Validations } from 'aws-cdk-lib';
import type { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one validation finding (a cdk-nag rule id such as
 * `AwsSolutions-APIG4`, or `CloudFormation-Validate::E3710`) on a construct
 * and everything below it. Call it next to the resource, with a real reason.
 */
export function acknowledge(
  scope: IConstruct,
  id: string,
  reason: string
): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The `AwsSolutions-IAM5[Resource::...]` finding ids cdk-nag 3 reports for
 * the wildcard resources of a statement. cdk-nag acknowledges findings one
 * by one, so the ids are derived from the statement itself rather than typed
 * by hand (they depend on region literals and tokens).
 */
export function wildcardResourceFindings(
  scope: IConstruct,
  statement: PolicyStatement
): string[] {
  const json = Stack.of(scope).resolve(statement.toStatementJson());
  const resources: unknown[] = Array.isArray(json.Resource)
    ? json.Resource
    : [json.Resource];
  return resources
    .map(flattenReference)
    .filter((r) => r.includes('*'))
    .map((r) => `AwsSolutions-IAM5[Resource::${r}]`);
}

/** Acknowledges every wildcard resource of a statement with one reason. */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  statement: PolicyStatement,
  reason: string
): void {
  for (const id of wildcardResourceFindings(scope, statement)) {
    acknowledge(scope, id, reason);
  }
}

// Mirrors cdk-nag's flattenCfnReference (utils/flatten-cfn-reference.js),
// which is not exported: finding ids must match it character for character.
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') {
    return node.replace(/\${/g, '<').replace(/}/g, '>');
  }
  if (typeof node === 'object' && node !== null) {
    const n = node as Record<string, unknown>;
    if (n['Fn::Join']) {
      const [delimiter, items] = n['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if (n['Fn::Sub']) return flattenReference(n['Fn::Sub']);
    if (n['Fn::GetAtt']) {
      const [resource, attribute] = n['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (n['Fn::ImportValue']) return flattenReference(n['Fn::ImportValue']);
    if (n.Ref) return `<${flattenReference(n.Ref)}>`;
  }
  return JSON.stringify(node);
}
