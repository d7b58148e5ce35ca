import type { ProviderType } from '../types';
import type { ProviderAdapter } from './types';

/** A provider adapter whose code is loaded by the first call that needs it. */
export interface LazyProviderAdapter extends ProviderAdapter {
  /** Loads the adapter now (a provisioned container's init); idempotent. */
  load(): Promise<ProviderAdapter>;
}

/**
 * Wraps an adapter whose module is imported on first use, so a cold start
 * doesn't load the code of a provider family it may never call (the Gemini
 * and OpenAI-compatible adapters sit in lazy chunks of the Lambda bundle).
 * The first call awaits the import; later calls go straight to the adapter,
 * streams included (no extra async hop per chunk once loaded). A failed
 * import is not cached: the next call tries again. `embeds` says whether the
 * family has `embed`, which callers test for before the adapter is loaded.
 */
export function lazyAdapter(
  id: string,
  type: ProviderType,
  create: () => Promise<ProviderAdapter>,
  options: { readonly embeds: boolean }
): LazyProviderAdapter {
  let loaded: ProviderAdapter | undefined;
  let loading: Promise<ProviderAdapter> | undefined;
  const load = (): Promise<ProviderAdapter> => {
    if (loaded) return Promise.resolve(loaded);
    loading ??= create().then(
      (adapter) => {
        loaded = adapter;
        return adapter;
      },
      (err: unknown) => {
        loading = undefined;
        throw err;
      }
    );
    return loading;
  };
  const adapter: LazyProviderAdapter = {
    id,
    type,
    load,
    chat: async (request, model, call) =>
      (loaded ?? (await load())).chat(request, model, call),
    chatStream: (request, model, call) => {
      if (loaded) return loaded.chatStream(request, model, call);
      // Nothing is imported until the consumer asks for the first event; a
      // consumer that stops before then leaves no upstream call behind.
      return (async function* () {
        yield* (await load()).chatStream(request, model, call);
      })();
    },
  };
  if (options.embeds) {
    adapter.embed = async (request, model, call) => {
      const target = loaded ?? (await load());
      if (!target.embed) throw new Error(`provider ${id} cannot embed`);
      return target.embed(request, model, call);
    };
  }
  return adapter;
}
