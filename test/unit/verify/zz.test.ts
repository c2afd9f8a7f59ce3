import { it } from 'vitest';
import { powerAt } from '../../../src/verify/stats.js';
it('x', () => { const t = Date.now(); console.log(powerAt(275, [0.3, 0.35, 0.35], { alpha: 0.005, power: 0.95, skew: 0.2 }), Date.now() - t); }, 20000);
