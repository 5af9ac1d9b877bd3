/**
 * The atomicity test's child: saves checkpoints start, start+1, ... to argv[2] in a loop (stored
 * and compressed alternately) until it is killed. Prints "ready" once loaded, before its first save,
 * and "saved" after each save.
 */
import { saveCheckpointFile } from '@fluxion/io/node';
import { checkpointFor } from './checkpoints.js';

const path = process.argv[2]!;
let step = Number(process.argv[3]);
process.stdout.write('ready\n');
for (;;) {
  await saveCheckpointFile(path, checkpointFor(step), { compress: step % 2 === 1 });
  process.stdout.write('saved\n');
  step++;
}
