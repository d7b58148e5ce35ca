/**
 * `npm run registry -- <command>`: the model registry's operator tool.
 *
 *   validate <file...>                 registry and route-set documents (kind
 *                                      auto-detected); route sets are also
 *                                      checked against the registry files given
 *   diff <file> --table <name>         document vs the table's latest versions
 *   seed <file> --table <name>         writes new versions of changed/new models
 *        [--by <who>] [--dry-run]      (conditional: a concurrent writer wins)
 *
 * Options: --region <r> (else AWS_REGION), --json (machine output). The table
 * endpoint honours AWS_ENDPOINT_URL_DYNAMODB (e.g. DynamoDB Local).
 * Exit codes: 0 ok, 1 problems or failed writes, 2 usage.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoModelRegistry } from '../lambdas/core/adapters/aws/dynamo-registry';
import { diffRegistry, type FieldChange } from '../lambdas/core/registry/diff';
import {
  type ModelDefinition,
  unknownRouteSetModels,
  validateRegistryFile,
  validateRouteSet,
} from '../lambdas/core/registry/schema';
import {
  RegistryConflictError,
  RegistryError,
} from '../lambdas/core/registry/types';

/** Where the CLI writes and what it reads from its surroundings. */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Clock for `createdAt`. */
  readonly now: () => Date;
  /** A table client to use instead of one built from env/flags (tests). */
  readonly documentClient?: DynamoDBDocumentClient;
}

/** A usage mistake: printed with the usage text, exit 2. */
class UsageError extends Error {
  public override readonly name = 'UsageError';
}

/** An expected failure (unreadable file, wrong document kind): exit 1, no stack. */
class CliError extends Error {
  public override readonly name = 'CliError';
}

const USAGE = `usage: npm run registry -- <command> [options]
  validate <file...>                        check registry and route-set documents
  diff <file> --table <name> [--region r]   compare a registry document with the table
  seed <file> --table <name> [--region r] [--by who] [--dry-run]
                                            write changed and new models as new versions
  options: --json   machine-readable output`;

type DocumentKind = 'registry' | 'route-set';

interface CheckedFile {
  readonly file: string;
  readonly kind?: DocumentKind;
  readonly problems: string[];
  readonly models?: readonly ModelDefinition[];
  readonly routeSet?: { readonly models: readonly { readonly id: string }[] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Route sets carry a `name`; registry documents don't. */
function kindOf(doc: unknown): DocumentKind | undefined {
  if (!isObject(doc)) return undefined;
  if ('name' in doc) return 'route-set';
  if ('models' in doc) return 'registry';
  return undefined;
}

async function checkFile(file: string): Promise<CheckedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.message;
    return { file, problems: [`<root>: cannot read (${why})`] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return {
      file,
      problems: [`<root>: not valid JSON (${(err as Error).message})`],
    };
  }
  const kind = kindOf(doc);
  if (kind === 'registry') {
    const result = validateRegistryFile(doc);
    return result.ok
      ? { file, kind, problems: [], models: result.value }
      : { file, kind, problems: [...result.problems] };
  }
  if (kind === 'route-set') {
    const result = validateRouteSet(doc);
    return result.ok
      ? { file, kind, problems: [], routeSet: result.value }
      : { file, kind, problems: [...result.problems] };
  }
  return {
    file,
    problems: [
      '<root>: neither a registry document ({"models": [...]}) nor a route set ({"name", "models"})',
    ],
  };
}

async function validate(
  files: readonly string[],
  json: boolean,
  io: CliIo
): Promise<number> {
  if (files.length === 0)
    throw new UsageError('validate needs at least one file');
  const checked = await Promise.all(files.map(checkFile));
  // Route sets must name models the registry documents define.
  const registries = checked.filter((c) => c.kind === 'registry');
  if (registries.length > 0 && registries.every((c) => c.models)) {
    const known = new Set(
      registries.flatMap((c) => c.models!.map((m) => m.config.id))
    );
    for (const c of checked)
      if (c.routeSet)
        c.problems.push(...unknownRouteSetModels(c.routeSet, known));
  }
  const bad = checked.filter((c) => c.problems.length > 0);
  if (json) {
    io.stdout(
      JSON.stringify({
        ok: bad.length === 0,
        files: checked.map((c) => ({
          file: c.file,
          kind: c.kind ?? null,
          problems: c.problems,
        })),
      })
    );
  } else {
    for (const c of bad)
      for (const p of c.problems) io.stdout(`${c.file}: ${p}`);
    const problems = bad.reduce((n, c) => n + c.problems.length, 0);
    io.stdout(
      bad.length === 0
        ? `ok: ${checked.length} document(s) valid`
        : `${problems} problem(s) in ${bad.length} of ${checked.length} document(s)`
    );
  }
  return bad.length === 0 ? 0 : 1;
}

async function loadRegistryDocument(file: string): Promise<ModelDefinition[]> {
  const checked = await checkFile(file);
  if (checked.kind === 'route-set')
    throw new CliError(
      `${file}: a route set; diff and seed take a registry document`
    );
  if (checked.problems.length > 0)
    throw new CliError(
      `${file} is not valid:\n${checked.problems.map((p) => `  ${file}: ${p}`).join('\n')}`
    );
  return [...checked.models!];
}

function tableClient(
  region: string | undefined,
  io: CliIo
): { client: DynamoDBDocumentClient; close: () => void } {
  if (io.documentClient) return { client: io.documentClient, close: () => {} };
  const env = io.env;
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL;
  const resolvedRegion =
    region ??
    env.AWS_REGION ??
    env.AWS_DEFAULT_REGION ??
    (endpoint ? 'us-east-1' : undefined);
  if (!resolvedRegion)
    throw new UsageError('no region: pass --region or set AWS_REGION');
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN
            ? { sessionToken: env.AWS_SESSION_TOKEN }
            : {}),
        }
      : undefined;
  const raw = new DynamoDBClient({
    region: resolvedRegion,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
  return {
    client: DynamoDBDocumentClient.from(raw),
    close: () => raw.destroy(),
  };
}

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function changeLine(c: FieldChange): string {
  return `${c.path}: ${show(c.from)} -> ${show(c.to)}`;
}

async function diffOrSeed(
  command: 'diff' | 'seed',
  file: string,
  flags: Flags,
  io: CliIo
): Promise<number> {
  if (!flags.table) throw new UsageError(`${command} needs --table <name>`);
  const definitions = await loadRegistryDocument(file);
  const { client, close } = tableClient(flags.region, io);
  try {
    const registry = new DynamoModelRegistry({
      tableName: flags.table,
      client,
    });
    const diff = diffRegistry(definitions, await registry.listLatest());
    if (command === 'diff') {
      printDiff(diff, flags.json, io);
      return 0;
    }
    const by = flags.by ?? io.env.GITHUB_ACTOR ?? io.env.USER ?? 'registry-cli';
    const plan = [
      ...diff.added.map((d) => ({ definition: d, expected: 0 })),
      ...diff.changed.map((c) => ({
        definition: c.definition,
        expected: c.latestVersion,
      })),
    ];
    const written: { id: string; version: number; previous: number }[] = [];
    const failed: { id: string; error: string }[] = [];
    for (const { definition, expected } of plan) {
      const id = definition.config.id;
      if (flags.dryRun) {
        written.push({ id, version: expected + 1, previous: expected });
        continue;
      }
      try {
        const v = await registry.putVersion(
          {
            modelId: id,
            ...definition,
            createdBy: by,
            createdAt: io.now().toISOString(),
          },
          expected
        );
        written.push({ id, version: v.version, previous: expected });
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        failed.push({
          id,
          error:
            err instanceof RegistryConflictError
              ? `conflict: changed in the table since it was read (expected v${expected}); run seed again`
              : err.message,
        });
      }
    }
    printSeed(
      { written, failed, diff, dryRun: flags.dryRun, table: flags.table },
      flags.json,
      io
    );
    return failed.length === 0 ? 0 : 1;
  } finally {
    close();
  }
}

function printDiff(
  diff: ReturnType<typeof diffRegistry>,
  json: boolean,
  io: CliIo
): void {
  if (json) {
    io.stdout(
      JSON.stringify({
        added: diff.added.map((d) => d.config.id),
        changed: diff.changed.map((c) => ({
          id: c.id,
          latestVersion: c.latestVersion,
          changes: c.changes,
        })),
        removed: diff.removed.map((v) => ({
          id: v.modelId,
          latestVersion: v.version,
        })),
        unchanged: diff.unchanged,
      })
    );
    return;
  }
  for (const d of diff.added) io.stdout(`+ ${d.config.id}: new model`);
  for (const c of diff.changed)
    for (const change of c.changes)
      io.stdout(`~ ${c.id} (table v${c.latestVersion}): ${changeLine(change)}`);
  for (const v of diff.removed)
    io.stdout(
      `- ${v.modelId} (table v${v.version}): in the table, not in the file`
    );
  io.stdout(
    `${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} only in the table, ${diff.unchanged.length} unchanged`
  );
}

function printSeed(
  result: {
    readonly written: readonly {
      id: string;
      version: number;
      previous: number;
    }[];
    readonly failed: readonly { id: string; error: string }[];
    readonly diff: ReturnType<typeof diffRegistry>;
    readonly dryRun: boolean;
    readonly table: string;
  },
  json: boolean,
  io: CliIo
): void {
  const { written, failed, diff, dryRun } = result;
  if (json) {
    io.stdout(
      JSON.stringify({
        dryRun,
        written,
        failed,
        unchanged: diff.unchanged,
        leftAlone: diff.removed.map((v) => v.modelId),
      })
    );
    return;
  }
  const verb = dryRun ? 'would write' : 'wrote';
  for (const w of written)
    io.stdout(
      `${verb} ${w.id} v${w.version} ${w.previous === 0 ? '(new)' : `(was v${w.previous})`}`
    );
  for (const f of failed) io.stdout(`! ${f.id}: ${f.error}`);
  for (const v of diff.removed)
    io.stdout(
      `  ${v.modelId}: only in the table, left alone (set its status to deprecated to retire it)`
    );
  io.stdout(
    `${dryRun ? 'dry run: ' : ''}${written.length} ${dryRun ? 'to write' : 'written'}, ${failed.length} failed, ${diff.unchanged.length} unchanged (table ${result.table})`
  );
}

interface Flags {
  readonly table?: string;
  readonly region?: string;
  readonly by?: string;
  readonly dryRun: boolean;
  readonly json: boolean;
}

/**
 * Runs the CLI and resolves to its exit code (never rejects for expected
 * failures: they are printed as one line each, without a stack).
 */
export async function main(
  argv: readonly string[],
  io: Partial<CliIo> = {}
): Promise<number> {
  const out: CliIo = {
    stdout: io.stdout ?? ((l) => process.stdout.write(`${l}\n`)),
    stderr: io.stderr ?? ((l) => process.stderr.write(`${l}\n`)),
    env: io.env ?? process.env,
    now: io.now ?? (() => new Date()),
    ...(io.documentClient ? { documentClient: io.documentClient } : {}),
  };
  try {
    let parsed: ReturnType<typeof parseCli>;
    try {
      parsed = parseCli(argv);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    const [command, ...rest] = positionals;
    if (values.help || command === 'help') {
      out.stdout(USAGE);
      return 0;
    }
    const flags: Flags = {
      table: values.table,
      region: values.region,
      by: values.by,
      dryRun: values['dry-run'] ?? false,
      json: values.json ?? false,
    };
    switch (command) {
      case 'validate':
        return await validate(rest, flags.json, out);
      case 'diff':
      case 'seed':
        if (rest.length !== 1)
          throw new UsageError(
            `${command} takes exactly one registry document`
          );
        if (command === 'diff' && (flags.dryRun || flags.by))
          throw new UsageError('--by and --dry-run are seed options');
        return await diffOrSeed(command, rest[0]!, flags, out);
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      out.stderr(`error: ${err.message}`);
      out.stderr(USAGE);
      return 2;
    }
    if (err instanceof CliError || err instanceof RegistryError) {
      out.stderr(`error: ${err.message}`);
      return 1;
    }
    const e = err as Error;
    out.stderr(`error: ${e.name}: ${e.message}`);
    return 1;
  }
}

function parseCli(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      table: { type: 'string' },
      region: { type: 'string' },
      by: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
