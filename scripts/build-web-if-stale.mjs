// `npm start`'s pre-step: builds the web app only when its bundle is missing or older than any of
// its sources (the web app's own, and the protocol and client packages it bundles), so a restart
// of an unchanged checkout starts at once.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'packages/web');
const bundle = path.join(web, 'dist/index.html');
const sources = [
  path.join(web, 'src'),
  path.join(web, 'index.html'),
  path.join(web, 'vite.config.ts'),
  path.join(web, 'package.json'),
  path.join(root, 'packages/protocol/src'),
  path.join(root, 'packages/client/src'),
];

/** The newest modification time under a file or folder (0 when it does not exist). */
function newest(target) {
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) latest = Math.max(latest, newest(path.join(target, entry)));
  return latest;
}

const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
const changed = Math.max(...sources.map(newest));
if (built > 0 && built >= changed) {
  console.log('web app: the bundle is up to date (packages/web/dist); skipping the build');
} else {
  console.log(built ? 'web app: sources changed since the last build; building' : 'web app: no bundle yet; building');
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(result.status ?? 1);
}
