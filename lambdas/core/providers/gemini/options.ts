/**
 * The checks of a Gemini provider's settings, apart from the adapter: the
 * router composes its Gemini adapter lazily (its code loads on the first
 * Gemini call) and still refuses unusable settings when it starts.
 */

/** The adapter's settings are unusable; thrown at construction. */
export class GeminiConfigError extends Error {
  public override readonly name = 'GeminiConfigError';
}

/** The settings {@link checkGeminiOptions} looks at. */
export interface GeminiCheckedOptions {
  readonly id: string;
  readonly mode?: 'api' | 'vertex';
  readonly baseUrl?: string;
  readonly project?: string;
  readonly location?: string;
  readonly timeoutMs?: number;
}

/**
 * Throws `GeminiConfigError` naming every problem of the settings (vertex
 * mode without a project, a malformed location, timeout or base URL).
 */
export function checkGeminiOptions(options: GeminiCheckedOptions): void {
  const mode = options.mode ?? 'api';
  const location = options.location ?? 'us-central1';
  const problems: string[] = [];
  if (mode === 'vertex' && !options.project)
    problems.push('vertex mode needs a project');
  // The location becomes part of a host name: keep it to what regions look like.
  if (!/^[a-z][a-z0-9-]*$/.test(location))
    problems.push(
      `location must look like us-central1 or global, got "${location}"`
    );
  if (
    options.timeoutMs !== undefined &&
    !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)
  )
    problems.push(
      `timeoutMs must be a positive number, got ${options.timeoutMs}`
    );
  if (options.baseUrl !== undefined && !/^https?:\/\//.test(options.baseUrl))
    problems.push(`baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
  if (problems.length > 0)
    throw new GeminiConfigError(
      `gemini provider ${options.id}: ${problems.join('; ')}`
    );
}
