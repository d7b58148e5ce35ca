import { isIPv4, isIPv6 } from 'node:net';
import {
  type GuardrailProfile,
  type GuardrailSettings,
  type PiiType,
  profileFor,
} from './config';
import { detectPromptAttack } from './injection';
import {
  applyFindings,
  type GuardFinding,
  type GuardRequest,
  type GuardResult,
  type Guardrail,
  type GuardStage,
} from './types';

/** One detected PII span. */
export interface PiiMatch {
  readonly type: PiiType;
  readonly start: number;
  readonly end: number;
}

/** Placeholder names per PII type (`[EMAIL]`, ...). */
export const PII_LABELS: Readonly<Record<PiiType, string>> = {
  email: 'EMAIL',
  phone: 'PHONE',
  iban: 'IBAN',
  card: 'CARD',
  ip: 'IP',
};

/** Luhn checksum over a digit string (card numbers). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1. */
export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value)
      rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** What a text holds of the characters detectors need (one pass, no regex). */
interface CharCounts {
  readonly digits: number;
  readonly at: number;
  readonly colons: number;
  readonly dots: number;
}

function countChars(text: string): CharCounts {
  let digits = 0;
  let at = 0;
  let colons = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 64) at++;
    else if (c === 58) colons++;
    else if (c === 46) dots++;
  }
  return { digits, at, colons, dots };
}

type Detector = readonly [
  PiiType,
  RegExp,
  ((match: string) => boolean) | undefined,
  /** False when the text lacks what any match needs: the regex is skipped. */
  (c: CharCounts) => boolean,
];

// Order matters: earlier detectors win overlapping spans (an IBAN is not a phone).
const DETECTORS: readonly Detector[] = [
  [
    'email',
    /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    undefined,
    (c) => c.at > 0,
  ],
  [
    'iban',
    /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g,
    ibanValid,
    (c) => c.digits >= 2,
  ],
  [
    'card',
    /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    (m) => luhnValid(m.replace(/\D/g, '')),
    (c) => c.digits >= 13,
  ],
  [
    'ip',
    /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])/g,
    (m) => isIPv6(m),
    (c) => c.colons >= 2,
  ],
  [
    'ip',
    /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g,
    (m) => isIPv4(m),
    (c) => c.digits >= 4 && c.dots >= 3,
  ],
  [
    // International (+49 ...), trunk-prefixed (0151 ...) or bracketed area
    // codes, or the US 3-3-4 shape; 8-15 digits. Bare digit runs (order
    // numbers, dates) and the tail of a longer code (an IBAN that failed
    // its checksum) are not phones.
    'phone',
    /(?<![\w+]|\d[ .-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}|\(\d{2,4}\)[ .-]?\d{2,4}(?:[ .-]?\d{2,4}){1,3}|0\d{2,4}[ /.-]?\d{3,4}(?:[ .-]?\d{2,4}){0,3}|\d{3}[ .-]\d{3}[ .-]\d{4})(?!\w)/g,
    (m) => {
      const n = m.replace(/\D/g, '').length;
      return n >= 8 && n <= 15;
    },
    (c) => c.digits >= 8,
  ],
];

/** Finds PII spans of the given types (non-overlapping, in text order). */
export function findPii(text: string, types: ReadonlySet<PiiType>): PiiMatch[] {
  const out: PiiMatch[] = [];
  if (types.size === 0) return out;
  // Six regex scans cost far more than one pass counting the characters
  // they need; most prompts hold no '@', few digits and no ':'.
  const counts = countChars(text);
  for (const [type, re, valid, possible] of DETECTORS) {
    if (!types.has(type) || !possible(counts)) continue;
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (valid && !valid(m[0])) continue;
      if (out.some((o) => start < o.end && end > o.start)) continue;
      out.push({ type, start, end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiled block list: words match case-insensitively on word boundaries. */
export class BlockList {
  private readonly res: RegExp[];

  public constructor(words: readonly string[], patterns: readonly string[]) {
    this.res = [
      ...words.map(
        (w) =>
          new RegExp(
            `(?<![\\p{L}\\p{N}])${escapeRegExp(w)}(?![\\p{L}\\p{N}])`,
            'iu'
          )
      ),
      ...patterns.map((p) => new RegExp(p, 'iu')),
    ];
  }

  /** Whether any entry matches. */
  public matches(text: string): boolean {
    return this.res.some((re) => re.test(text));
  }
}

interface CompiledProfile {
  readonly input: BlockList;
  readonly output: BlockList;
  readonly anonymize: ReadonlySet<PiiType>;
  readonly scan: ReadonlySet<PiiType>;
}

/**
 * The local rule engine: PII (e-mail, phone, IBAN with mod-97, card numbers
 * with Luhn, IPv4/IPv6), block lists and, on input context, the prompt
 * injection heuristic. Pure and synchronous underneath; used alone locally
 * and as the cheap pre-filter before ApplyGuardrail on AWS.
 */
export class LocalRuleGuardrail implements Guardrail {
  public readonly name = 'local';
  private readonly compiled = new Map<string, CompiledProfile>();

  public constructor(private readonly settings: GuardrailSettings) {}

  public async check(request: GuardRequest): Promise<GuardResult> {
    return this.checkSync(request);
  }

  /** The same check, synchronously (streams call it per window). */
  public checkSync(request: GuardRequest): GuardResult {
    const profile = profileFor(this.settings, request.domain);
    const rules = this.rules(profile);
    const findings: GuardFinding[] = [];
    for (let i = 0; i < request.texts.length; i++) {
      const { text, kind } = request.texts[i]!;
      const blocked = this.blocked(profile, rules, request.stage, text, kind);
      if (blocked) return { verdict: 'block', textIndex: i, ...blocked };
      for (const m of findPii(text, rules.scan)) {
        if (!rules.anonymize.has(m.type)) {
          return {
            verdict: 'block',
            category: 'pii',
            reason: PII_LABELS[m.type],
            textIndex: i,
          };
        }
        findings.push({
          type: PII_LABELS[m.type],
          textIndex: i,
          start: m.start,
          end: m.end,
          action: 'anonymize',
        });
      }
    }
    if (findings.length === 0) return { verdict: 'allow' };
    return {
      verdict: 'anonymize',
      category: 'pii',
      reason: [...new Set(findings.map((f) => f.type))].join(','),
      findings,
      texts: request.texts.map((t, i) =>
        applyFindings(
          t.text,
          findings.filter((f) => f.textIndex === i)
        )
      ),
    };
  }

  private blocked(
    profile: GuardrailProfile,
    rules: CompiledProfile,
    stage: GuardStage,
    text: string,
    kind: 'prompt' | 'context'
  ): { category: string; reason: string } | undefined {
    const list = stage === 'input' ? rules.input : rules.output;
    if (list.matches(text))
      return { category: 'blocklist', reason: 'block list' };
    if (stage === 'input' && kind === 'context' && profile.input.promptAttack) {
      const attack = detectPromptAttack(text);
      if (attack) return { category: 'prompt_attack', reason: attack };
    }
    return undefined;
  }

  private rules(profile: GuardrailProfile): CompiledProfile {
    let c = this.compiled.get(profile.name);
    if (!c) {
      const scan = new Set<PiiType>();
      const anonymize = new Set<PiiType>();
      for (const [type, action] of Object.entries(profile.pii) as [
        PiiType,
        string,
      ][]) {
        if (action !== 'off') scan.add(type);
        if (action === 'anonymize') anonymize.add(type);
      }
      c = {
        input: new BlockList(
          profile.input.blockWords,
          profile.input.blockPatterns
        ),
        output: new BlockList(
          profile.output.blockWords,
          profile.output.blockPatterns
        ),
        scan,
        anonymize,
      };
      this.compiled.set(profile.name, c);
    }
    return c;
  }
}
