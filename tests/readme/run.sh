#!/usr/bin/env bash
# The README's command blocks, run as a new user would run them, in a clean checkout: so the
# README cannot drift from what works (`make readme-test`, part of `make test`; root, since
# `make quickstart` starts the local cluster).
#
# - The checkout: HEAD of this repository (committed files only), at a fixed path under
#   $SEER_CACHE, wiped of everything untracked (`git clean -ffdx`) before the run. The fixed
#   path keeps Cargo's build of it between runs; the toolchains and caches ($SEER_CACHE, the
#   shared Cargo target dir) are the machine's, as for a returning user.
# - The blocks: every ```sh block of README.md, in order, as one bash script (set -euo
#   pipefail) run from the checkout's root. Not run: `make test` and its parts (`make unit`,
#   `make clippy`; the test command itself is what runs this), and a block right after a line
#   `<!-- readme-test: skip (why) -->`; both are listed at the start.
# - After: the checkout is still clean (the README's commands regenerate nothing that
#   differs), and every process the blocks started is gone within a minute (what is not is
#   reported and killed; `make quickstart-down` runs if the blocks failed).
#
#   tests/readme/run.sh            # bounded by README_TEST_TIMEOUT (default 45 min)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/tests/cluster/lib/common.sh"
need_root "the README test (its first command, make quickstart, starts the local cluster)"
# The README ends with make quickstart-down: a quickstart already up would be reused and then
# removed. Refuse instead of taking a developer's running cluster away.
need_no_cluster "stop it first with make quickstart-down (or tests/cluster/down.sh)"

clone=$SEER_CACHE/readme-test/seer
script=$(mktemp); out=$(mktemp)
cleanup() { rm -f "$script" "$out"; }
trap cleanup EXIT

head=$(git -C "$repo" rev-parse HEAD)
log "checkout of $head at $clone"
if [[ -d $clone/.git ]]; then
  git -C "$clone" fetch -q "$repo" "$head"
else
  rm -rf "$clone"; mkdir -p "$(dirname "$clone")"
  git clone -q "$repo" "$clone"
fi
git -C "$clone" checkout -q --force --detach "$head"
git -C "$clone" clean -q -ffdx
rm -rf /tmp/seer   # where the no-cluster blocks write their artifacts: each run starts empty

# The blocks, as one script; what is left out is said.
python3 - "$clone/README.md" "$script" <<'EOF'
import re, sys
readme, script = sys.argv[1], sys.argv[2]
skip_cmd = re.compile(r'^\s*make (test|unit|clippy)\b')
lines = open(readme).read().splitlines()
out, in_block, skip_block, prev = [], False, False, ''
for n, line in enumerate(lines, 1):
    if not in_block and line.strip() == '```sh':
        in_block, skip_block, start = True, prev.startswith('<!-- readme-test: skip'), n
        if skip_block:
            print(f'readme-test: not run: the block at README.md:{n}: {prev.strip()}', file=sys.stderr)
        else:
            out.append(f'echo "readme-test: README.md:{n}" >&2')
    elif in_block and line.strip() == '```':
        in_block = False
    elif in_block and not skip_block:
        if skip_cmd.match(line):
            print(f'readme-test: not run: README.md:{n}: {line.strip()} (the tests)', file=sys.stderr)
            continue
        out.append(line)
    if line.strip():
        prev = line.strip()
if in_block:
    sys.exit(f'README.md: the block opened at line {start} is not closed')
open(script, 'w').write('set -euo pipefail\n' + '\n'.join(out) + '\n')
EOF

log "running the README's blocks in $clone"
start=$SECONDS
rc=0
# Its own process group (setsid), so whatever the blocks leave running can be stopped.
(cd "$clone" && exec setsid timeout --kill-after=30 "${README_TEST_TIMEOUT:-2700}" bash "$script") \
  > >(tee "$out") 2>&1 &
pid=$!
wait "$pid" || rc=$?
log "the blocks finished in $((SECONDS - start)) s (exit $rc)"
# What the blocks started and stopped may take its shutdown delay; what is still running after
# a minute was left running.
deadline=$((SECONDS + 60))
while pgrep -s "$pid" >/dev/null 2>&1 && (( SECONDS < deadline )); do sleep 1; done
left_running=$(pgrep -a -s "$pid" 2>/dev/null || true)
pkill -KILL -s "$pid" 2>/dev/null || true

if (( rc != 0 )); then
  log "FAILED; removing what the quickstart left (make quickstart-down)"
  (cd "$clone" && make quickstart-down) >/dev/null 2>&1 || log "make quickstart-down failed too"
  exit "$rc"
fi
grep -q 'item_000' "$out" || die "the no-cluster forecast (curl .../v1/forecasts/item_000) printed nothing"
grep -q '"itemList"' "$out" || die "the no-cluster recommendations printed no itemList"
left=$(git -C "$clone" status --porcelain --untracked-files=all)
[[ -z $left ]] || die "the README's commands changed the checkout:
$left"
[[ -z $left_running ]] || die "the README's blocks left processes running (stopped now):
$left_running"
log "ok: every README block ran, the checkout is clean, nothing left running"
