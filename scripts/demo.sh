#!/usr/bin/env bash
# The reference scenario, end to end, with both approvals given the way a team would give them:
# run -> paused at the `test` gate -> approve -> resume -> paused at `production` -> approve -> resume.
set -euo pipefail
cd "$(dirname "$0")/.."
pipeline=mlops_pipelines/BasicBuildRelease.yml
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

step() { printf '\n\033[1;36m== %s\033[0m\n' "$*" >&2; }
run_id() { python -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$summary"; }

step "mlops run $pipeline   (stops at the 'test' approval)"
set +e; mlops run "$pipeline" --json >"$summary"; code=$?; set -e
[ "$code" -eq 3 ] || { echo "expected the run to pause for approval (exit 3), got $code" >&2; exit 1; }
id=$(run_id)

step "mlops approve $id --environment test --as alice"
mlops approve "$id" --environment test --as alice --comment "training metrics look fine"
step "mlops resume $id   (stops at the 'production' approval)"
set +e; mlops resume "$id" --json >"$summary"; code=$?; set -e
[ "$code" -eq 3 ] || { echo "expected the run to pause for the production approval (exit 3), got $code" >&2; exit 1; }

step "mlops approve $id --environment production --as carol"
mlops approve "$id" --environment production --as carol --comment "test endpoint smoke test passed"
step "mlops resume $id"
mlops resume "$id" --json >"$summary"

python - "$summary" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
outputs = {k: v for s in run["stages"] for j in s["jobs"] for k, v in j["outputs"].items()}
version = next(v for k, v in outputs.items() if k.endswith("register.modelVersion"))
print()
print(f"Run {run['id']}: {run['result']}")
print(f"Registered model: credit-model version {version}")
for stage in ("DeployTest", "DeployProduction"):
    s = next(x for x in run["stages"] if x["name"] == stage)
    uri = next((v for k, v in s["jobs"][0]["outputs"].items() if k.endswith("scoringUri")), "?")
    print(f"{s['displayName']:>22}: {uri}")
print()
print("Try:   mlops runs show", run["id"], "| mlops logs", run["id"], "--step Smoke")
print("Stop the endpoints with: mlops endpoints down")
sys.exit(0 if run["result"] == "succeeded" else 1)
PY
