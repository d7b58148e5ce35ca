import type { GatewayMetrics, Log } from '../ports';
import {
  type GuardrailProfile,
  type GuardrailSettings,
  profileFor,
} from './config';
import { LocalRuleGuardrail } from './local-rules';
import {
  type GuardFinding,
  type GuardRequest,
  type GuardResult,
  type Guardrail,
  placeholder,
} from './types';

/** Dependencies of the guardrail service. */
export interface GuardrailServiceDeps {
  readonly settings: GuardrailSettings;
  /** The managed guardrail (Bedrock ApplyGuardrail on AWS); absent locally. */
  readonly remote?: Guardrail;
  readonly metrics: GatewayMetrics;
  readonly log: Log;
  readonly now?: () => number;
}

/** A check's result after the fail mode was applied. */
export interface GuardOutcome extends GuardResult {
  /** The profile that decided. */
  readonly profile: GuardrailProfile;
  /** True when the managed guardrail failed and the profile failed open. */
  readonly degraded?: boolean;
}

/**
 * Runs the guardrails of a domain profile: the local rule engine first (the
 * whole check locally, a cheap pre-filter on AWS that saves an
 * ApplyGuardrail call on obvious cases), then the managed guardrail on the
 * pre-filtered text under the profile's timeout. A failure of the managed
 * guardrail is `unavailable` when the profile fails closed, and the local
 * result (flagged `degraded`) when it fails open. Counts GuardrailBlocks,
 * GuardrailError and GuardrailLatency; logs only types, never text.
 */
export class GuardrailService {
  private readonly local: LocalRuleGuardrail;
  private readonly now: () => number;

  public constructor(private readonly deps: GuardrailServiceDeps) {
    this.local = new LocalRuleGuardrail(deps.settings);
    this.now = deps.now ?? Date.now;
  }

  /** Whether guardrails run at all. */
  public get enabled(): boolean {
    return this.deps.settings.enabled;
  }

  /** Whether a remote guardrail is called (the only user of a request's signal). */
  public get callsRemote(): boolean {
    return this.deps.remote !== undefined;
  }

  /** The profile of a domain. */
  public profile(domain: string): GuardrailProfile {
    return profileFor(this.deps.settings, domain);
  }

  /** Checks texts; never throws. */
  public async check(request: GuardRequest): Promise<GuardOutcome> {
    const profile = this.profile(request.domain);
    const useLocal = !this.deps.remote || this.deps.settings.localPrefilter;
    const first = useLocal
      ? this.local.checkSync(request)
      : ({ verdict: 'allow' } as GuardResult);
    if (first.verdict === 'block' || !this.deps.remote)
      return this.counted(request, withProfile(first, profile));
    const texts = first.texts
      ? request.texts.map((t, i) => ({ ...t, text: first.texts![i]! }))
      : request.texts;
    const second = await this.remote(request, texts, profile);
    if (second.verdict === 'unavailable') {
      if (profile.failMode === 'closed')
        return this.counted(request, { ...second, profile });
      return this.counted(request, { ...first, profile, degraded: true });
    }
    if (second.verdict === 'block' || second.verdict === 'allow') {
      return this.counted(request, {
        ...(second.verdict === 'allow' ? first : second),
        profile,
      });
    }
    // Both anonymized: the remote ran on the locally anonymized text.
    return this.counted(request, {
      ...second,
      findings: mergeFindings(first.findings, second.findings),
      profile,
    });
  }

  /** The synchronous local check alone (stream windows between remote checks). */
  public checkLocal(request: GuardRequest): GuardOutcome {
    const profile = this.profile(request.domain);
    return this.counted(
      request,
      withProfile(this.local.checkSync(request), profile)
    );
  }

  private async remote(
    request: GuardRequest,
    texts: GuardRequest['texts'],
    profile: GuardrailProfile
  ): Promise<GuardResult> {
    const remote = this.deps.remote!;
    const timeout = AbortSignal.timeout(profile.timeoutMs);
    const signal = request.signal
      ? AbortSignal.any([request.signal, timeout])
      : timeout;
    const started = this.now();
    let result: GuardResult;
    try {
      result = await raceAbort(
        remote.check({ ...request, texts, signal }),
        signal
      );
    } catch (err) {
      result = {
        verdict: 'unavailable',
        reason: timeout.aborted
          ? 'timeout'
          : err instanceof Error
            ? err.name
            : 'error',
      };
    }
    this.deps.metrics.event('GuardrailLatency', this.now() - started, {
      Guardrail: remote.name,
    });
    return result;
  }

  private counted(request: GuardRequest, outcome: GuardOutcome): GuardOutcome {
    // Most outcomes are a plain allow: nothing to count, nothing to build.
    if (outcome.verdict === 'allow' && !outcome.degraded) return outcome;
    const dims = { Domain: outcome.profile.name, Stage: request.stage };
    if (outcome.verdict === 'block') {
      this.deps.metrics.event('GuardrailBlocks', 1, {
        ...dims,
        Category: outcome.category ?? 'unknown',
      });
      this.deps.log.info('guardrail blocked', {
        ...dims,
        category: outcome.category,
        reason: outcome.reason,
      });
    } else if (outcome.verdict === 'unavailable' || outcome.degraded) {
      this.deps.metrics.event('GuardrailError', 1, dims);
      this.deps.log.warn('guardrail unavailable', {
        ...dims,
        failMode: outcome.profile.failMode,
        reason: outcome.reason,
      });
    } else if (outcome.verdict === 'anonymize') {
      this.deps.metrics.event('GuardrailAnonymized', 1, dims);
    }
    return outcome;
  }
}

/**
 * Joins local findings (offsets in the raw text) and remote findings
 * (offsets in the locally anonymized text the remote saw) into raw offsets,
 * so a stream can cut its raw buffer around every span.
 */
export function mergeFindings(
  local: readonly GuardFinding[] | undefined,
  remote: readonly GuardFinding[] | undefined
): readonly GuardFinding[] | undefined {
  if (!remote || remote.length === 0) return local;
  if (!local || local.length === 0) return remote;
  const out = [...local];
  for (const r of remote) {
    const mine = local
      .filter((l) => l.textIndex === r.textIndex)
      .sort((x, y) => x.start - y.start);
    const toRaw = (pos: number, isEnd: boolean): number => {
      let shift = 0;
      for (const l of mine) {
        const anonStart = l.start + shift;
        const anonEnd = anonStart + placeholder(l.type).length;
        if (pos < anonStart || (isEnd && pos === anonStart)) break;
        // Inside a placeholder: widen to the raw span it replaced.
        if (pos < anonEnd || (isEnd && pos === anonEnd))
          return isEnd ? l.end : l.start;
        shift += anonEnd - anonStart - (l.end - l.start);
      }
      return pos - shift;
    };
    out.push({ ...r, start: toRaw(r.start, false), end: toRaw(r.end, true) });
  }
  return out.sort((a, b) => a.textIndex - b.textIndex || a.start - b.start);
}

/** Rejects as soon as the signal aborts, even if the call ignores it. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      }
    );
  });
}

/**
 * `{ ...result, profile }` by Object.assign: a spread that adds a key takes
 * V8's slow path (~1 µs), and this runs on every guarded request.
 */
function withProfile(
  result: GuardResult,
  profile: GuardrailProfile
): GuardOutcome {
  return Object.assign({}, result, { profile });
}
