import { cdkToolkit } from '../../../lib/commands/lifecycle';
import { lab } from '../../../labs/cloudwatch-metric-filters/lab';
import { recordingIo } from './support';

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>; Outputs?: Record<string, { Value: unknown }> };

describe('cdkToolkit (the CDK toolkit library, synthesizing in-process)', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  it('synthesizes the lab with DopLab-Base, no assets, and the context it is given', async () => {
    const toolkit = await cdkToolkit(lab, { region: 'eu-west-1' }, recordingIo(), { 'doplab:expiresAt': '2026-11-23T17:00:00.000Z' });
    try {
      expect(await toolkit.assetCount('DopLab-cloudwatch-metric-filters')).toBe(0);
      expect(await toolkit.assetCount('DopLab-Base')).toBe(0);
      const template = (await toolkit.template('DopLab-cloudwatch-metric-filters')) as Template;
      const schedules = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
      expect(schedules.map((s) => s.Properties.ScheduleExpression)).toEqual(['at(2026-11-23T17:00:00)']);
      const base = (await toolkit.template('DopLab-Base')) as Template;
      expect(Object.keys(base.Outputs ?? {})).toEqual(['ExecutionRoleArn']);
      expect(toolkit.firstFailure()).toBeUndefined();
    } finally {
      await toolkit.dispose();
    }
  });
});
