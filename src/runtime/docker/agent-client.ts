/** Runs one job of the probe agent (src/probe/agent.ts) inside the probe container: JSON in on stdin, JSON out. */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import type { AgentJob, AgentResult } from '../../probe/agent.js';
import { execIn } from './exec.js';
import { AGENT_PATH } from './probe-image.js';

export async function runAgent<J extends AgentJob>(probe: Docker.Container, job: J): Promise<Extract<AgentResult, { op: J['op'] }>> {
  const result = await execIn(probe, ['node', AGENT_PATH], JSON.stringify(job));
  if (result.exitCode !== 0) {
    throw new EnvironmentError(`the probe agent failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  try {
    return JSON.parse(result.stdout) as Extract<AgentResult, { op: J['op'] }>;
  } catch {
    throw new EnvironmentError(`the probe agent printed no JSON: ${result.stdout.slice(0, 200)}`);
  }
}
