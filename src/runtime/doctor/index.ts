/** `haplab doctor`: what this machine has for labs (facts.ts) and what that means (verdict.ts). */
import { gatherDoctorFacts } from './facts.js';
import { diagnose, type Diagnosis } from './verdict.js';

export type { Diagnosis, DoctorLine, Status } from './verdict.js';

export async function examineMachine(env: NodeJS.ProcessEnv = process.env): Promise<Diagnosis> {
  return diagnose(await gatherDoctorFacts(env));
}
