/**
 * A server as a resolution's requester (server.c snr_resolution_cb, snr_update_srv_status,
 * snr_resolution_error_cb): on a valid answer it takes an address from the answer records
 * (answer-list.ts) and leaves MAINT (resolution) when it has one, or enters it when none is
 * free; on a failed resolution it keeps its address until the status's `hold` has passed
 * since the last valid answer, then enters MAINT and lets go of its record.
 */
import type { ResolversConfig } from '../config/model.js';
import type { AnswerAddress, Family } from './answer-list.js';
import { addressBytes, addressText } from './dns-message.js';
import type { Requester, Resolution, ResolutionStatus } from './resolution.js';

/** What of a server the resolver changes (RuntimeServer in src/proxy/runtime.ts). */
export interface ResolvableServer {
  readonly name: string;
  address: string;
  resolutionMaint: boolean;
  setAddress(address: string): void;
  setResolutionMaint(on: boolean): void;
}

type HeldStatus = Exclude<ResolutionStatus, 'none' | 'valid'>;

const HOLD_OF: Record<HeldStatus, keyof ResolversConfig['hold']> = {
  nx: 'nx',
  refused: 'refused',
  timeout: 'timeout',
  other: 'other',
  invalid: 'other',
};

export class ServerRequester implements Requester {
  /** HAProxy zeroes a server's address when it enters MAINT for want of one. */
  private hasAddress: boolean;

  constructor(
    readonly backend: string,
    private readonly server: ResolvableServer,
    private readonly prefer: Family,
    private readonly hold: ResolversConfig['hold'],
  ) {
    this.hasAddress = !server.resolutionMaint;
  }

  resolved(resolution: Resolution, now: number): void {
    const current: AnswerAddress | undefined = this.hasAddress ? addressBytes(this.server.address) : undefined;
    const choice = resolution.answers.choose(this, current, this.prefer);
    if (choice.outcome === 'change') {
      this.server.setAddress(addressText(choice.address));
      this.hasAddress = true;
    }
    const noAddress = choice.outcome === 'none';
    if (!this.updateStatus(resolution, noAddress, now) && noAddress) this.hasAddress = false;
  }

  failed(resolution: Resolution, now: number): boolean {
    if (this.updateStatus(resolution, true, now)) return true;
    this.hasAddress = false;
    resolution.answers.release(this);
    return false;
  }

  /** snr_update_srv_status: false when the server's MAINT (resolution) state changed. */
  private updateStatus(resolution: Resolution, noAddress: boolean, now: number): boolean {
    const status = resolution.status;
    if (status === 'none') return true;
    if (status === 'valid') {
      if (noAddress === this.server.resolutionMaint) return true;
      this.server.setResolutionMaint(noAddress);
      return false;
    }
    // A hold counts from the last valid answer; never valid means long expired.
    const held = resolution.lastValid === undefined ? -Infinity : resolution.lastValid + this.hold[HOLD_OF[status]];
    if (now < held || this.server.resolutionMaint) return true;
    this.server.setResolutionMaint(true);
    return false;
  }
}
