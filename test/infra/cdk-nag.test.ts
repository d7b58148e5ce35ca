import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildGatewayApp } from '../../lib/gateway-app';
import { createTestApp } from './helpers';

interface Violation {
  readonly ruleName: string;
  readonly severity: string;
  readonly violatingConstructs: { readonly constructPath: string }[];
}
interface ValidationReport {
  readonly pluginReports: {
    readonly pluginName: string;
    readonly violations?: Violation[];
    readonly suppressedViolations?: Violation[];
  }[];
}

/**
 * Synthesizes the whole app under cdk-nag as bin/gateway.ts does. cdk-nag 3
 * reports through CDK's validation framework: an in-memory app throws
 * "Validation failed" on any error, and the full report (errors and
 * warnings, per plugin) is written to <outdir>/validation-report.json.
 */
function synthWithNag(
  context: Record<string, unknown>,
  extra?: (app: ReturnType<typeof createTestApp>) => void,
  cfnValidation = true
): { error?: Error; report: ValidationReport } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-nag-'));
  try {
    const app = createTestApp(context, { outdir, cfnValidation });
    buildGatewayApp(app, { processEnv: {} });
    extra?.(app);
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app, { verbose: true })
    );
    let error: Error | undefined;
    try {
      app.synth();
    } catch (e) {
      error = e as Error;
    }
    const report = JSON.parse(
      fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')
    ) as ValidationReport;
    return { error, report };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const unacknowledged = (report: ValidationReport, severity: string): string[] =>
  report.pluginReports.flatMap((p) =>
    (p.violations ?? [])
      .filter((v) => v.severity === severity)
      .flatMap((v) =>
        v.violatingConstructs.map(
          (c) => `${p.pluginName} ${v.ruleName} ${c.constructPath}`
        )
      )
  );

const suppressed = (report: ValidationReport): string[] =>
  report.pluginReports.flatMap((p) =>
    (p.suppressedViolations ?? []).map((v) => v.ruleName)
  );

describe('cdk-nag (AwsSolutions) on the whole app', () => {
  it('reports no unacknowledged error with every stack, the VPC and Evidently on', () => {
    // GIVEN prod with all six stacks and every optional resource
    const context = {
      env: 'prod',
      vpc: true,
      evidently: true,
      euOnly: true,
      sloModels: 'claude-sonnet',
      openaiCompatibleProviders: 'vllm',
      providerHosts: 'llm.example.com',
      routerProvisionedConcurrency: 2,
      webSocketProvisionedConcurrency: 1,
    };

    // WHEN
    const { error, report } = synthWithNag(context);

    // THEN
    expect(unacknowledged(report, 'error')).toEqual([]);
    expect(unacknowledged(report, 'warning')).toEqual([]);
    expect(error).toBeUndefined();
    // The Evidently resources were flagged and acknowledged, not missed.
    expect(suppressed(report)).toEqual(['E3710', 'E3710']);
  });

  it('reports nothing unacknowledged for the default dev app without a VPC', () => {
    // GIVEN the app `cdk synth` builds without context
    // WHEN
    const { report } = synthWithNag({}, undefined, false);

    // THEN
    expect(unacknowledged(report, 'warning')).toEqual([]);
    expect(unacknowledged(report, 'error')).toEqual([]);
  });

  it('fails synth on a finding nobody acknowledged', () => {
    // GIVEN a queue that breaks AwsSolutions-SQS4 (no TLS enforcement)
    const addQueue = (app: ReturnType<typeof createTestApp>) => {
      const stack = app.node.findChild('Monitoring');
      new sqs.Queue(stack, 'UnacknowledgedQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
      });
    };

    // WHEN
    const { error, report } = synthWithNag({}, addQueue, false);

    // THEN
    expect(error?.message).toMatch(/AwsSolutions-SQS4/);
    expect(unacknowledged(report, 'error')).toEqual(
      expect.arrayContaining([
        'AwsSolutions AwsSolutions-SQS4 Monitoring/UnacknowledgedQueue/Resource',
      ])
    );
  });
});
