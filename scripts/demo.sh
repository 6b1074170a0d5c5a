#!/usr/bin/env bash
# The main job end to end on the bundled example, as a user would type it:
# init -> lock -> generate -> build -> test -> run the prod stack -> read the API.
# `make demo` runs it after provisioning the engine and a base image.
set -euo pipefail

dockyard=${DOCKYARD:-dockyard}
work=${DEMO_DIR:-$(pwd)/.work/demo}
api=${DEMO_API:-http://127.0.0.1:8000}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "the example monorepo: a shared library, a parser, an API, a notebook env and a bot"
rm -rf "$work"
show "$dockyard" init --example "$work/lol_data"
cd "$work/lol_data"
git init -q && git add -A && git -c user.name=demo -c user.email=demo@localhost commit -qm "example"

step "lock: uv.lock for packages, dockyard.lock for the base image ($DOCKYARD_BASE_IMAGE) and uv"
show "$dockyard" lock

step "generate: Dockerfile, compose files, bake file, lock exports"
show "$dockyard" generate
grep -E '^FROM ' Dockerfile

step "build: every prod and dev image in one docker buildx bake"
show "$dockyard" build --all

step "test: each member's pytest inside its dev container, source bind-mounted"
show "$dockyard" test

cleanup() {
  step "stop the prod stack"
  docker compose -f compose.yaml down --remove-orphans --volumes
}
trap cleanup EXIT

step "run: the prod stack with Compose; --wait returns once the parser has ingested and the API is healthy"
show docker compose -f compose.yaml up -d --wait --wait-timeout 180
docker compose -f compose.yaml ps --format 'table {{.Service}}\t{{.Image}}\t{{.Status}}'

step "the API answers with what the parser ingested"
python3 - "$api" <<'PY'
import json
import sys
import urllib.request

base = sys.argv[1]


def get(path: str):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.load(response)


health = get("/health")
print(f"GET /health -> {health}")
games = get("/games")
print(f"GET /games -> {len(games)} games; first three:")
for game in games[:3]:
    print("  ", json.dumps(game)[:160])
print("GET /roles ->", json.dumps(get("/roles")))
if not games:
    sys.exit("demo: the API returned no games: the parser did not ingest the samples")
PY
