import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildGatewayApp, type GatewayStacks } from '../../lib/gateway-app';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The context block of cdk.json: the 89 feature flags the real app runs with. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')
).context;

/** Options of {@link createTestApp}. */
export interface TestAppOptions {
  /** Run the built-in CloudFormation validator (about 5 s per synth). */
  readonly cfnValidation?: boolean;
  /** Synthesis output directory. */
  readonly outdir?: string;
}

/**
 * An App with cdk.json's feature flags, the given context, and esbuild
 * skipped (`aws:cdk:bundling-stacks: []`) so unit tests never bundle.
 */
export function createTestApp(
  context: Record<string, unknown> = {},
  options: TestAppOptions = {}
): App {
  return new App({
    outdir: options.outdir,
    builtinCloudFormationValidation: options.cfnValidation ?? false,
    context: {
      ...CDK_JSON_CONTEXT,
      'aws:cdk:bundling-stacks': [],
      region: 'eu-central-1',
      ...context,
    },
  });
}

/** Builds the whole gateway app (account-agnostic, fixed region) from context. */
export function buildTestGateway(
  context: Record<string, unknown> = {},
  options: TestAppOptions = {}
): GatewayStacks {
  return buildGatewayApp(createTestApp(context, options), { processEnv: {} });
}

/** Template of a stack (synthesizes the app once; later calls are cached by CDK). */
export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

/** One IAM policy statement as it appears in a template. */
export interface TemplateStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Sid?: string;
}

/** Every statement of every AWS::IAM::Policy and inline role policy of a template. */
export function iamStatements(template: Template): TemplateStatement[] {
  const out: TemplateStatement[] = [];
  for (const policy of Object.values(
    template.findResources('AWS::IAM::Policy')
  )) {
    out.push(...policy.Properties.PolicyDocument.Statement);
  }
  for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const inline of role.Properties.Policies ?? []) {
      out.push(...inline.PolicyDocument.Statement);
    }
  }
  return out;
}

/** Statements of the default policy attached to one role (by the role's logical id prefix). */
export function statementsOfRole(
  template: Template,
  roleLogicalId: string
): TemplateStatement[] {
  const out: TemplateStatement[] = [];
  for (const policy of Object.values(
    template.findResources('AWS::IAM::Policy')
  )) {
    const roles: unknown[] = policy.Properties.Roles;
    if (
      roles.some(
        (r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })
      )
    ) {
      out.push(...policy.Properties.PolicyDocument.Statement);
    }
  }
  return out;
}

/** Actions of a statement as an array. */
export function actionsOf(statement: TemplateStatement): string[] {
  return Array.isArray(statement.Action)
    ? statement.Action
    : [statement.Action];
}

/** Resources of a statement as an array. */
export function resourcesOf(statement: TemplateStatement): unknown[] {
  return Array.isArray(statement.Resource)
    ? statement.Resource
    : [statement.Resource];
}

/** An ARN from a template as one string (`Fn::Join` joined, `Ref` as `<Name>`). */
export function flattenArn(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v?.['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flattenArn).join(sep);
  }
  if (v?.Ref) return `<${String(v.Ref)}>`;
  return JSON.stringify(value);
}
