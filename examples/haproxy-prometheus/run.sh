#!/usr/bin/env bash
# The controller shape on a laptop: HAProxy splits traffic between two model servers, Prometheus
# scrapes HAProxy, and coalmine, outside the data path, walks the canary's weight up or rolls it
# back. Needs haproxy and prometheus on the PATH (Debian: apt-get install haproxy prometheus).
#   examples/haproxy-prometheus/run.sh           a healthy canary: promoted
#   FAIL=0.3 examples/haproxy-prometheus/run.sh  a canary failing 30% of requests: rolled back
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for bin in haproxy prometheus; do
  command -v "$bin" >/dev/null || { echo "$bin is not installed (Debian: apt-get install $bin)"; exit 1; }
done
[ -f "$root/dist/cli/main.js" ] || (cd "$root" && npm run build --silent)
coalmine() { node "$root/dist/cli/main.js" --url http://127.0.0.1:3900 "$@"; }

# Each one's output goes to a log of its own under $work, so the rollout's own output reads clearly.
node "$here/model-server.mjs" 8001 & pids+=($!)
node "$here/model-server.mjs" 8002 --fail "${FAIL:-0}" & pids+=($!)
haproxy -db -f "$here/haproxy.cfg" >"$work/haproxy.log" 2>&1 & pids+=($!)
prometheus --config.file="$here/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
  --web.listen-address=127.0.0.1:9090 --log.level=warn >"$work/prometheus.log" 2>&1 & pids+=($!)
node "$root/dist/cli/main.js" serve --port 3900 --data-dir "$work/coalmine" >"$work/coalmine.log" 2>&1 & pids+=($!)
until curl -fs http://127.0.0.1:3900/readyz >/dev/null && curl -fs http://127.0.0.1:9090/-/ready >/dev/null; do sleep 0.2; done

coalmine models add churn --upstream http://127.0.0.1:8001/v2/models/churn --description "v1, serving"
coalmine models add churn --upstream http://127.0.0.1:8002/v2/models/churn --description "v2, the canary"

# Clients of the model, through HAProxy (coalmine never sees these requests).
body='{"inputs":[{"name":"input","datatype":"FP32","shape":[1,5],"data":[0.2,1,0.5,0.1,0.7]}]}'
for _ in 1 2 3 4; do
  (while true; do curl -s -o /dev/null -H 'content-type: application/json' -d "$body" http://127.0.0.1:8080/v2/models/churn/infer; done) & pids+=($!)
done

coalmine --model churn rollout start 2 --spec "$here/rollout.yaml"
coalmine --model churn rollout status --watch
coalmine --model churn rollout report
# What HAProxy itself holds now, from its runtime API.
node -e '
const c = require("net").createConnection(9999, "127.0.0.1", () => c.end("show servers state model\n"));
let out = ""; c.on("data", (d) => (out += d)); c.on("end", () => {
  const [, header, ...rows] = out.trim().split("\n"); const cols = header.slice(2).split(" ");
  console.log("HAProxy now holds:");
  for (const r of rows) { const f = Object.fromEntries(r.split(" ").map((v, i) => [cols[i], v])); console.log(`  ${f.srv_name} -> ${f.srv_addr}:${f.srv_port} weight ${f.srv_uweight}`); }
});'
