import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Debian's nginx (scripts/install-services.sh), started by a test as a throw-away proxy: the
 * repository's deploy/nginx.conf with the test's upstreams and port, and everything it writes
 * (pid, logs, temp files) in a temp folder. The access log names the upstream of each request.
 */
export interface Nginx {
  url: string;
  port: number;
  /** The upstream address of every request logged so far (WebSockets are logged when they close). */
  upstreams(): Promise<string[]>;
  stop(): Promise<void>;
}

export const NGINX_BINARY = '/usr/sbin/nginx';
const root = path.resolve(import.meta.dirname, '../../../..');

export async function nginxMissing(): Promise<string | null> {
  return fs.access(NGINX_BINARY).then(
    () => null,
    () => `SKIPPED (service missing): ${NGINX_BINARY} not installed (scripts/install-services.sh installs it)`,
  );
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** deploy/nginx.conf with the given upstreams, listening on host:port, writing only under `dir`. */
export async function renderNginxConf(options: { upstreams: string[]; host: string; port: number; dir: string }): Promise<string> {
  const shipped = await fs.readFile(path.join(root, 'deploy/nginx.conf'), 'utf8');
  const servers = options.upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=5s;`).join('\n');
  const replaced = shipped
    .replace(/upstream tally \{[^}]*?keepalive/s, `upstream tally {\n${servers}\n    keepalive`)
    .replace('listen 80;', `listen ${options.host}:${options.port};`)
    .replace('worker_processes auto;', 'worker_processes 1;')
    .replace(
      'http {',
      [
        'http {',
        `  access_log ${options.dir}/access.log upstreamlog;`,
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${options.dir}/${t};`),
      ].join('\n'),
    )
    .replace('http {', "http {\n  log_format upstreamlog '$upstream_addr $status \"$request\"';");
  if (replaced.includes('tally-1:8080') || !replaced.includes(`${options.host}:${options.port}`)) throw new Error('deploy/nginx.conf no longer has the shape this fixture rewrites');
  return `pid ${options.dir}/nginx.pid;\nerror_log ${options.dir}/error.log warn;\n${replaced}`;
}

export async function startNginx(upstreams: string[], host = '127.0.0.1'): Promise<Nginx> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-nginx-'));
  // Run as root, nginx's workers drop to `nobody`: they must be able to write their temp files.
  await fs.chmod(dir, 0o777);
  const port = await freePort(host);
  await fs.writeFile(path.join(dir, 'nginx.conf'), await renderNginxConf({ upstreams, host, port, dir }));
  const child: ChildProcess = spawn(NGINX_BINARY, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || i > 100) throw new Error(`nginx did not start: ${stderr}${await fs.readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://${host}:${port}`,
    port,
    async upstreams() {
      const log = await fs.readFile(path.join(dir, 'access.log'), 'utf8').catch(() => '');
      return log.split('\n').filter(Boolean).map((line) => line.split(' ')[0]!);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
