import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { GatewayFunction } from './gateway-function';

/** A secret to rotate, with a stable construct id. */
export interface RotatedSecret {
  /** Construct id of this secret's schedule (PascalCase, stable). */
  readonly id: string;
  /** The secret. */
  readonly secret: secretsmanager.ISecret;
}

/** Props of {@link SecretRotation}. */
export interface SecretRotationProps {
  /** The rotation function. */
  readonly rotationFunction: GatewayFunction;
  /** Secrets it rotates (all encrypted with the same key, if any). */
  readonly secrets: readonly RotatedSecret[];
  /** @default Duration.days(30) */
  readonly automaticallyAfter?: Duration;
}

/**
 * A rotation schedule per secret, invoking one rotation function.
 *
 * Built from CfnRotationSchedule rather than `secret.addRotationSchedule()`:
 * the L2 also grants `secretsmanager:GetRandomPassword` on `*` and matches
 * secrets by `<arn>-??????`, neither of which an API-key rotation needs. Here
 * the function gets exactly the four rotation actions on the exact ARNs, and
 * Secrets Manager may invoke it only on behalf of these secrets.
 */
export class SecretRotation extends Construct {
  /** The schedules, by secret id. */
  public readonly schedules: Readonly<
    Record<string, secretsmanager.CfnRotationSchedule>
  >;

  constructor(scope: Construct, id: string, props: SecretRotationProps) {
    super(scope, id);
    const after = props.automaticallyAfter ?? Duration.days(30);
    const days = after.toDays();
    if (!Number.isInteger(days) || days < 1 || days > 1000) {
      throw new Error(
        `automaticallyAfter must be a whole number of days between 1 and 1000, got ${after.toHumanString()}`
      );
    }
    if (props.secrets.length === 0) {
      throw new Error('secrets must not be empty');
    }

    const fn = props.rotationFunction;
    const stack = Stack.of(this);
    const arns = props.secrets.map((s) => s.secret.secretArn);
    fn.addToPolicy({
      actions: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      resources: arns,
    });
    const keyArns = [
      ...new Set(
        props.secrets
          .map((s) => s.secret.encryptionKey?.keyArn)
          .filter((k): k is string => k !== undefined)
      ),
    ];
    if (keyArns.length > 0) {
      fn.addToPolicy({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: keyArns,
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com`,
          },
        },
      });
    }

    const schedules: Record<string, secretsmanager.CfnRotationSchedule> = {};
    for (const { id: secretId, secret } of props.secrets) {
      const ns = new Construct(this, secretId);
      const permission = new lambda.CfnPermission(ns, 'InvokePermission', {
        action: 'lambda:InvokeFunction',
        functionName: fn.function.functionArn,
        principal: 'secretsmanager.amazonaws.com',
        sourceArn: secret.secretArn,
        sourceAccount: stack.account,
      });
      const schedule = new secretsmanager.CfnRotationSchedule(ns, 'Schedule', {
        secretId: secret.secretArn,
        rotationLambdaArn: fn.function.functionArn,
        rotationRules: { scheduleExpression: `rate(${days} days)` },
        // Provider keys are put by an operator after the first deploy;
        // rotating the random placeholder right away would only fail.
        rotateImmediatelyOnUpdate: false,
      });
      schedule.node.addDependency(permission);
      const policy = fn.role.node.tryFindChild('DefaultPolicy');
      if (policy) schedule.node.addDependency(policy);
      schedules[secretId] = schedule;
    }
    this.schedules = schedules;
  }
}
