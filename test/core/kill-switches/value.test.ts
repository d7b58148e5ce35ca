import { KillSwitchValidationError } from '../../../lambdas/core/kill-switches/errors';
import {
  checkKillSwitchWrite,
  parseKillSwitchValue,
  serializeKillSwitchValue,
  tryParseKillSwitchValue,
  UNPARSEABLE_REASON,
  validateKillSwitchValue,
  validateScope,
} from '../../../lambdas/core/kill-switches/value';

const ENGAGED_UNPARSEABLE = { state: 'on', reason: UNPARSEABLE_REASON };

describe('Function: parseKillSwitchValue', () => {
  it.each([
    ['on', 'on'],
    ['off', 'off'],
    ['ON', 'on'],
    ['Off', 'off'],
    ['  on\n', 'on'],
    ['\toff ', 'off'],
  ])('reads the plain word %j as %s', (raw, state) => {
    // Act
    const value = parseKillSwitchValue(raw);

    // Assess
    expect(value).toEqual({ state });
  });

  it('reads the full JSON form', () => {
    // Prepare
    const raw = JSON.stringify({
      state: 'on',
      reason: 'gemini 5xx storm',
      by: 'alice',
      until: '2026-11-23T12:00:00Z',
      percent: 30,
      updatedAt: '2026-11-23T10:00:00.000Z',
    });

    // Act
    const value = parseKillSwitchValue(raw);

    // Assess
    expect(value).toEqual({
      state: 'on',
      reason: 'gemini 5xx storm',
      by: 'alice',
      until: '2026-11-23T12:00:00Z',
      percent: 30,
      updatedAt: '2026-11-23T10:00:00.000Z',
    });
  });

  it('reads a JSON state in any case and ignores unknown keys', () => {
    // Act
    const value = parseKillSwitchValue(
      ' {"state":" OFF ","note":"added by a newer writer"} '
    );

    // Assess
    expect(value).toEqual({ state: 'off' });
  });

  it('accepts until with an offset and percent at both bounds', () => {
    // Act & Assess
    expect(
      parseKillSwitchValue(
        '{"state":"on","until":"2026-11-23T12:00:00.5+02:00"}'
      )
    ).toEqual({ state: 'on', until: '2026-11-23T12:00:00.5+02:00' });
    expect(parseKillSwitchValue('{"state":"on","percent":0}')).toEqual({
      state: 'on',
      percent: 0,
    });
    expect(parseKillSwitchValue('{"state":"on","percent":100}')).toEqual({
      state: 'on',
      percent: 100,
    });
  });

  it.each([
    ['empty', ''],
    ['an unknown word', 'yes'],
    ['a typo', 'onn'],
    ['bad JSON', '{"state":"on",'],
    ['JSON without state', '{"reason":"x"}'],
    ['an unknown state', '{"state":"paused"}'],
    ['percent above 100', '{"state":"off","percent":101}'],
    ['negative percent', '{"state":"on","percent":-1}'],
    ['percent as a string', '{"state":"on","percent":"30"}'],
    ['until not ISO', '{"state":"off","until":"tomorrow"}'],
    ['until without time', '{"state":"off","until":"2026-11-23"}'],
    ['reason not a string', '{"state":"off","reason":42}'],
    ['a JSON array', '[{"state":"off"}]'],
  ])('fails safe (engaged) on %s', (_label, raw) => {
    // Act
    const value = parseKillSwitchValue(raw);

    // Assess
    expect(value).toEqual(ENGAGED_UNPARSEABLE);
  });
});

describe('Function: tryParseKillSwitchValue', () => {
  it('says why a value is unparseable', () => {
    // Act
    const bad = tryParseKillSwitchValue('{"state":"on","percent":150}');
    const badJson = tryParseKillSwitchValue('{"state"');
    const word = tryParseKillSwitchValue('maybe');

    // Assess
    expect(bad).toEqual({
      ok: false,
      problems: [expect.stringContaining('percent')],
    });
    expect(badJson).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^bad JSON/)],
    });
    expect(word).toEqual({
      ok: false,
      problems: ['expected on, off or a JSON object'],
    });
  });
});

describe('Function: serializeKillSwitchValue', () => {
  it('writes the plain word when there is nothing but the state', () => {
    // Act & Assess
    expect(serializeKillSwitchValue({ state: 'on' })).toBe('on');
    expect(serializeKillSwitchValue({ state: 'off', reason: undefined })).toBe(
      'off'
    );
  });

  it('writes JSON with extras, and round-trips through the parser', () => {
    // Prepare
    const value = {
      state: 'on' as const,
      reason: 'brownout',
      by: 'bob',
      until: '2026-11-23T12:00:00.000Z',
      percent: 25,
    };

    // Act
    const text = serializeKillSwitchValue(value);

    // Assess
    expect(JSON.parse(text)).toEqual(value);
    expect(parseKillSwitchValue(text)).toEqual(value);
  });
});

describe('Function: validateScope', () => {
  it.each([
    'global',
    'provider/gemini',
    'provider/openai-compatible',
    'model/claude-sonnet',
    'model/eu.anthropic.claude-sonnet-4-v1:0',
    'model/user@team_x',
    'route/active-models',
    `model/${'a'.repeat(128)}`,
  ])('accepts %s', (scope) => {
    // Act & Assess
    expect(validateScope(scope)).toBeUndefined();
  });

  it.each([
    ['', /scope must be/],
    ['Global', /scope must be/],
    ['global/x', /scope must be/],
    ['tenant/acme', /scope must be/],
    ['provider', /scope must be/],
    ['provider/', /provider id must be/],
    ['model/a b', /model id must be/],
    ['model/a/b', /model id must be/],
    ['route/x#y', /route id must be/],
    [`model/${'a'.repeat(129)}`, /model id must be/],
  ])('rejects %j', (scope, message) => {
    // Act & Assess
    expect(validateScope(scope)).toMatch(message);
  });
});

describe('Function: validateKillSwitchValue', () => {
  it('rejects unknown keys in admin input (a typo must not be a full stop)', () => {
    // Act
    const result = validateKillSwitchValue({ state: 'on', percentage: 30 });

    // Assess
    expect(result.ok).toBe(false);
  });

  it('normalises the state and drops undefined fields', () => {
    // Act
    const result = validateKillSwitchValue({ state: 'ON', reason: undefined });

    // Assess
    expect(result).toEqual({ ok: true, value: { state: 'on' } });
  });
});

describe('Function: checkKillSwitchWrite', () => {
  it('reports scope and value problems together', () => {
    // Act
    let error: unknown;
    try {
      checkKillSwitchWrite('nope', { state: 'on', percent: 500 });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(KillSwitchValidationError);
    expect((error as KillSwitchValidationError).problems).toEqual([
      expect.stringMatching(/^scope must be/),
      expect.stringContaining('percent'),
    ]);
  });
});
