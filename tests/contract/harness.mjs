// Shared by the browser tests: start a real `rihla serve` and headless Chromium.
import { spawn } from 'node:child_process';

// Starts `rihla serve` on a free loopback port with `env`; resolves to { server, base } once it
// logs its "listening" line, rejects if it exits first (with what it printed).
export async function startRihla(rihlaBin, env) {
  const server = spawn(rihlaBin, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise((resolvePort, reject) => {
    const onData = (d) => {
      output += d;
      const m = output.match(/"msg":"listening".*?"port":(\d+)/);
      if (m) resolvePort(Number(m[1]));
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`rihla exited (${code}):\n${output}`)));
  });
  return { server, base: `http://127.0.0.1:${port}` };
}

// Headless Chromium whose resolver maps every name but 127.0.0.1 to NOTFOUND: nothing leaves
// the machine.
export function launchBrowser(puppeteer, chromium) {
  return puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  });
}
