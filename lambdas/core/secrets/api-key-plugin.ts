import {
  NothingStagedError,
  RotationConfigError,
  RotationTestError,
} from './errors';
import { callProvider, describeUrl, errorSummary } from './http';
import type { RotationContext, RotationPlugin } from './plugin';
import type { SecretVersion } from './secret-store';
import {
  type ApiKeySecretValue,
  parseApiKeyValue,
  STAGED_STAGE,
} from './secret-value';

/**
 * How the test call authenticates: `openai` = `GET {baseUrl}/models` with
 * `Authorization: Bearer` (Meta Llama API, vLLM, any OpenAI-compatible
 * endpoint); `gemini` = `GET {baseUrl}/v1beta/models` with `x-goog-api-key`.
 */
export type ApiKeyFlavour = 'openai' | 'gemini';

/** Options of {@link ApiKeyPlugin}. */
export interface ApiKeyPluginOptions {
  readonly flavour: ApiKeyFlavour;
  /**
   * Base URL of the test call when the secret has no `baseUrl`.
   * @default - none: the secret must carry `baseUrl`
   */
  readonly defaultBaseUrl?: string;
  /** Timeout of the test call, ms. @default 10000 */
  readonly timeoutMs?: number;
}

const STAGE_HINT =
  'stage the new key first: npm run ops -- secrets stage <secret-id> --env <env>';

function lenientCurrent(value: string): Partial<ApiKeySecretValue> {
  try {
    return parseApiKeyValue(value, 'current value');
  } catch {
    // A hand-edited or placeholder current value carries nothing worth keeping.
    return {};
  }
}

/**
 * API-key rotation: the provider can't mint keys for us, so an operator
 * creates the new key in the provider's console and stages it (version
 * label AWSSTAGED). createSecret promotes the staged value to AWSPENDING
 * (fields of the current value such as `baseUrl` are kept unless the staged
 * value overrides them); testSecret lists models with it; after finish the
 * AWSSTAGED label is removed. The old key is not revoked here: the provider
 * console does that once routers have picked the new key up.
 */
export class ApiKeyPlugin implements RotationPlugin {
  /** Plugin name for logs. */
  public readonly name: string;

  public constructor(private readonly options: ApiKeyPluginOptions) {
    this.name = `api-key/${options.flavour}`;
  }

  /** Promotes the staged value; NothingStagedError when there is none. */
  public async createPending(
    current: SecretVersion,
    ctx: RotationContext
  ): Promise<string> {
    const staged = await ctx.store.read(ctx.secretId, { stage: STAGED_STAGE });
    if (!staged)
      throw new NothingStagedError(
        `secret ${ctx.metadata.name} has no value staged as ${STAGED_STAGE}; ${STAGE_HINT}`
      );
    const next = parseApiKeyValue(
      staged.value,
      `secret ${ctx.metadata.name} ${STAGED_STAGE} version ${staged.versionId}`
    );
    const before = lenientCurrent(current.value);
    if (before.apiKey === next.apiKey)
      throw new NothingStagedError(
        `secret ${ctx.metadata.name}: the staged key is already the current key; ${STAGE_HINT}`
      );
    const pending: ApiKeySecretValue = { ...before, ...next };
    // Fail now rather than at testSecret: without a base URL there's no test.
    this.baseUrl(pending, ctx);
    return JSON.stringify(pending);
  }

  /** Nothing to do: the provider issued the key. */
  public async setPending(): Promise<void> {}

  /** Lists models with the pending key. */
  public async testPending(
    pending: string,
    ctx: RotationContext
  ): Promise<void> {
    const value = parseApiKeyValue(
      pending,
      `secret ${ctx.metadata.name} pending value`
    );
    const base = this.baseUrl(value, ctx);
    const gemini = this.options.flavour === 'gemini';
    const url = gemini ? `${base}/v1beta/models?pageSize=1` : `${base}/models`;
    const headers: Record<string, string> = gemini
      ? { 'x-goog-api-key': value.apiKey }
      : { authorization: `Bearer ${value.apiKey}` };
    const res = await callProvider({
      method: 'GET',
      url,
      headers,
      what: `test of the pending key of ${ctx.metadata.name}`,
      timeoutMs: this.options.timeoutMs,
    });
    if (!res.ok)
      throw new RotationTestError(
        `secret ${ctx.metadata.name}: the pending key was refused by GET ${describeUrl(url)}: HTTP ${res.status} (${errorSummary(res.json, { messages: false })}); AWSCURRENT is unchanged`
      );
  }

  /**
   * Removes AWSSTAGED once its key is the current one. A different staged
   * key (staged again during the rotation) is left for the next rotation.
   */
  public async afterFinish(
    current: SecretVersion,
    _previous: SecretVersion | undefined,
    ctx: RotationContext
  ): Promise<void> {
    const meta = await ctx.store.describe(ctx.secretId);
    const stagedId = Object.entries(meta.versions).find(([, s]) =>
      s.includes(STAGED_STAGE)
    )?.[0];
    if (stagedId === undefined) return;
    const staged = await ctx.store.read(ctx.secretId, { versionId: stagedId });
    const stagedKey = staged ? lenientCurrent(staged.value).apiKey : undefined;
    if (stagedKey !== lenientCurrent(current.value).apiKey) {
      ctx.log.warn(
        'a different key is staged; keeping it for the next rotation',
        {
          secret: meta.name,
          stagedVersion: stagedId,
        }
      );
      return;
    }
    await ctx.store.moveStage(ctx.secretId, STAGED_STAGE, undefined, stagedId);
  }

  private baseUrl(value: ApiKeySecretValue, ctx: RotationContext): string {
    const base = value.baseUrl ?? this.options.defaultBaseUrl;
    if (!base)
      throw new RotationConfigError(
        `secret ${ctx.metadata.name}: no "baseUrl" in the value, and provider ${ctx.metadata.tags['ai-gateway:provider'] ?? '?'} has no default; put {"apiKey": "...", "baseUrl": "https://.../v1"}`
      );
    return base.replace(/\/+$/, '');
  }
}
