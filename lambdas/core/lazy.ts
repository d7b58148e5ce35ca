/**
 * Memoises an async load (a dynamic `import()` and what is built from it):
 * the first call starts it, later calls share its promise. A rejection is
 * not kept, so a later call tries again. What the router reaches through
 * these sits in lazy chunks of the Lambda bundle, out of the cold start.
 */
export function lazyLoad<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
}
