// Init-container script of the ci overlay (mounted from the ConfigMap
// `ordinal-config`): on the local cluster every pod uses hostNetwork, so the
// pods of one StatefulSet share the host's ports. Each pod derives its own
// from its ordinal (the number ending POD_NAME): port key k gets
// BASE_PORT + 10 * ordinal + offset, PORTS="health_port=0,metrics_port=2".
// Writes /config/app.json (the
// app reads it through RIPPLE_CONFIG_FILE) and /config/probe.sh (exec probes:
// `bash /config/probe.sh ready|health`, against the health_port).
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
// bash, not node: a probe must stay cheap on a loaded node (a node start per probe
// under a 500m CPU limit took seconds and got a coordinator restarted).
writeFileSync(
  '/config/probe.sh',
  [
    '# probe.sh ready|health: 0 when GET /$1 on the health port answers 200',
    'json=$(</config/app.json)',
    '[[ $json =~ \\"health_port\\":([0-9]+) ]] || exit 1',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
    'exec 3<>"/dev/tcp/127.0.0.1/${BASH_REMATCH[1]}" || exit 1',
    'printf \'GET /%s HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n\' "$1" >&3',
    'IFS= read -r -t 4 line <&3 || exit 1',
    "[[ $line == *' 200 '* ]]",
    '',
  ].join('\n'),
);
console.log(JSON.stringify({ pod: name, ...cfg }));
