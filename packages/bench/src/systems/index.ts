/** Every system, in table order: Fluxion first (the ratios' baseline), then the peers. */
import type { Setup } from '../types.js';
import { fluxionSystems } from './fluxion.js';
import { jaxSystems } from './jaxjs.js';
import { tfjsSystems } from './tfjs.js';

export async function setUpSystems(): Promise<Setup[]> {
  return [...fluxionSystems(), ...(await tfjsSystems()), ...(await jaxSystems())];
}
