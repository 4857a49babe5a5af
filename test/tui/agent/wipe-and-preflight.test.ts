/** The pure rules of the client: FOG's wipe passes and the pre-flight verdicts. */
import { expect, it } from 'vitest';
import { preflightProblem, type TargetFacts } from '../../../tui/src/agent/preflight.ts';
import { wipePasses } from '../../../tui/src/agent/wipe-task.ts';

it("Given FOG's wipe modes, the passes are: fast zeros, normal one random pass, full three random passes then zeros", () => {
  expect(wipePasses('fast')).toEqual(['zero']);
  expect(wipePasses('normal')).toEqual(['random']);
  expect(wipePasses('full')).toEqual(['random', 'random', 'random', 'zero']);
});

const disk = (over: Partial<TargetFacts> = {}): TargetFacts => ({
  path: '/dev/sda',
  present: true,
  size: 500 << 20,
  identity: { serial: 'S1', removable: false },
  ...over,
});

it('Given targets, the pre-flight refuses missing, removable, too small and wrong-serial disks, in that order', () => {
  expect(preflightProblem(disk({ present: false }), { requiredBytes: 1 })?.code).toBe('TARGET_MISSING');
  expect(preflightProblem(disk({ identity: { removable: true } }), { requiredBytes: 1 })?.code).toBe(
    'TARGET_REMOVABLE',
  );
  expect(preflightProblem(disk(), { requiredBytes: 501 << 20 })?.code).toBe('TARGET_TOO_SMALL');
  expect(preflightProblem(disk(), { requiredBytes: 1, pinnedSerial: 'S2' })?.code).toBe(
    'TARGET_SERIAL_MISMATCH',
  );
  expect(preflightProblem(disk({ identity: {} }), { requiredBytes: 1, pinnedSerial: 'S2' })?.code).toBe(
    'TARGET_SERIAL_MISMATCH',
  );
  expect(preflightProblem(disk(), { requiredBytes: 500 << 20, pinnedSerial: ' S1 ' })).toBeNull();
  expect(preflightProblem(disk(), { requiredBytes: 1, pinnedSerial: null })).toBeNull();
});
