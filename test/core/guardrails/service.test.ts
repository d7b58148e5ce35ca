import { resolveGuardrailSettings } from '../../../lambdas/core/guardrails/config';
import {
  GuardrailService,
  mergeFindings,
} from '../../../lambdas/core/guardrails/service';
import {
  applyFindings,
  type GuardRequest,
  type Guardrail,
} from '../../../lambdas/core/guardrails/types';
import type { GatewayMetrics } from '../../../lambdas/core/ports';
import { MemoryLog } from '../../helpers/gateway';

function metrics(): GatewayMetrics & { names: string[] } {
  const names: string[] = [];
  return {
    names,
    request: () => {},
    attempt: () => {},
    event: (name) => {
      names.push(name);
    },
  };
}

function service(remote: Guardrail, timeoutMs = 50) {
  const m = metrics();
  const log = new MemoryLog();
  const s = new GuardrailService({
    settings: resolveGuardrailSettings({
      profiles: { default: { timeoutMs }, legal: { timeoutMs } },
    }),
    remote,
    metrics: m,
    log,
  });
  return { s, m, log };
}

const input = (domain: string, text: string): GuardRequest => ({
  stage: 'input',
  domain,
  texts: [{ text, kind: 'prompt' }],
});

describe('Class: GuardrailService', () => {
  describe('Method: check', () => {
    it('answers unavailable after the profile timeout when the managed guardrail hangs (fail closed)', async () => {
      // Prepare
      const hang: Guardrail = {
        name: 'hang',
        check: () => new Promise(() => {}),
      };
      const { s, m } = service(hang, 30);
      const started = Date.now();
      // Act
      const r = await s.check(input('legal', 'hello'));
      // Assess
      expect(r).toMatchObject({ verdict: 'unavailable', reason: 'timeout' });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(m.names).toEqual(['GuardrailLatency', 'GuardrailError']);
    });

    it('falls back to the local result, flagged degraded, when the profile fails open', async () => {
      const broken: Guardrail = {
        name: 'broken',
        check: async () => {
          throw new Error('boom');
        },
      };
      const { s, m } = service(broken);
      const r = await s.check(input('general', 'mail a@b.io'));
      expect(r).toMatchObject({
        verdict: 'anonymize',
        degraded: true,
        texts: ['mail [EMAIL]'],
      });
      expect(m.names).toContain('GuardrailError');
    });

    it('skips the managed guardrail when the local pre-filter already blocks', async () => {
      const remote = { name: 'remote', check: jest.fn() };
      const { s, m } = service(remote);
      const r = await s.check(input('general', 'card 4111111111111111'));
      expect(r).toMatchObject({
        verdict: 'block',
        category: 'pii',
        reason: 'CARD',
      });
      expect(remote.check).not.toHaveBeenCalled();
      expect(m.names).toEqual(['GuardrailBlocks']);
    });

    it('sends the locally anonymized text to the managed guardrail and takes its block', async () => {
      const remote = {
        name: 'remote',
        check: jest.fn(async () => ({
          verdict: 'block' as const,
          category: 'topic',
          reason: 'Individual diagnosis',
        })),
      };
      const { s, log } = service(remote);
      const r = await s.check(input('medical', 'I am a@b.io, do I have flu?'));
      expect(remote.check).toHaveBeenCalledWith(
        expect.objectContaining({
          texts: [{ text: 'I am [EMAIL], do I have flu?', kind: 'prompt' }],
        })
      );
      expect(r).toMatchObject({ verdict: 'block', category: 'topic' });
      expect(log.text()).not.toContain('flu');
    });
  });

  describe('Function: mergeFindings', () => {
    it('maps spans found in the locally anonymized text back to the raw text', () => {
      // Prepare: local replaced the e-mail; the remote then found a name after it
      const raw = 'mail a@b.io to Ann Lee now';
      const local = [
        {
          type: 'EMAIL',
          textIndex: 0,
          start: 5,
          end: 11,
          action: 'anonymize' as const,
        },
      ];
      const anonymized = applyFindings(raw, local);
      const at = anonymized.indexOf('Ann Lee');
      const remote = [
        {
          type: 'NAME',
          textIndex: 0,
          start: at,
          end: at + 7,
          action: 'anonymize' as const,
        },
      ];
      // Act
      const merged = mergeFindings(local, remote)!;
      // Assess
      expect(merged.map((f) => raw.slice(f.start, f.end))).toEqual([
        'a@b.io',
        'Ann Lee',
      ]);
      expect(applyFindings(raw, merged)).toBe('mail [EMAIL] to [NAME] now');
    });
  });
});
