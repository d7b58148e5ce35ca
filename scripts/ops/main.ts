/** `npm run ops -- <command>`: see scripts/ops/cli.ts for the commands. */
import { awsOpsContext } from './aws';
import { ControlPlaneOpsBackend, HttpOpsBackend, OpsError } from './backend';
import { runOps, secretReader, terminalConfirm } from './cli';
import { stageSecret } from './secrets';

async function main(): Promise<void> {
  const code = await runOps(
    process.argv.slice(2),
    {
      out: (t) => process.stdout.write(`${t}\n`),
      err: (t) => process.stderr.write(`${t}\n`),
      confirm: terminalConfirm(),
      readSecret: secretReader(),
    },
    async ({ url, adminKey, env, region }) => {
      if (url) {
        if (!adminKey)
          throw new OpsError(
            '--admin-key (or GATEWAY_ADMIN_KEY) is required with --url'
          );
        return new HttpOpsBackend(url, adminKey);
      }
      if (env) {
        const ctx = await awsOpsContext(env, region);
        return new ControlPlaneOpsBackend(
          ctx.plane,
          ctx.who,
          ctx.describe,
          ctx.tenants,
          (secretId, value) => stageSecret({ secretId, value }),
          ctx.decisions,
          ctx.budgets
        );
      }
      throw new OpsError(
        'say where: --url <gateway> --admin-key <key>, or --env <dev|staging|prod> for AWS'
      );
    }
  );
  process.exitCode = code;
}

void main();
