// Init-container script of the ci overlay (mounted from the ConfigMap
// `ordinal-config`): on the local cluster every pod uses hostNetwork, so the
// pods of one StatefulSet share the host's ports. Each pod derives its own
// from its ordinal (the number ending POD_NAME): port key k gets
// BASE_PORT + 10 * ordinal + offset, PORTS="health_port=0,metrics_port=2".
// Writes /config/app.json (the
// app reads it through RIPPLE_CONFIG_FILE) and /config/probe.mjs (exec probes:
// `node /config/probe.mjs ready|health`, against the health_port).
import { writeFileSync } from 'node:fs';

const env = process.env;
const name = env.POD_NAME ?? '';
const ordinal = Number(name.split('-').pop());
if (!Number.isInteger(ordinal) || ordinal < 0)
  throw new Error(`POD_NAME ${JSON.stringify(name)} has no ordinal`);
const base = Number(env.BASE_PORT);
if (!Number.isInteger(base) || base <= 0)
  throw new Error(`BASE_PORT ${JSON.stringify(env.BASE_PORT)} is not a port`);
const cfg = {};
for (const pair of (env.PORTS ?? '').split(',').filter(Boolean)) {
  const [key, offset] = pair.split('=');
  cfg[key] = base + 10 * ordinal + Number(offset);
}
if (cfg.health_port === undefined) throw new Error('PORTS must name health_port');
writeFileSync('/config/app.json', JSON.stringify(cfg));
writeFileSync(
  '/config/probe.mjs',
  [
    "import { readFileSync } from 'node:fs';",
    "const { health_port } = JSON.parse(readFileSync('/config/app.json', 'utf8'));",
    "const url = 'http://127.0.0.1:' + health_port + '/' + process.argv[2];",
    'const r = await fetch(url).catch(() => null);',
    'process.exit(r?.ok ? 0 : 1);',
  ].join('\n'),
);
console.log(JSON.stringify({ pod: name, ...cfg }));
