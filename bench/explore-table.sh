#!/bin/bash
# bench/explore-table.sh - the exploration table of docs/PERFORMANCE.md:
# schedules/s and inequivalent interleavings per catalogue scenario, at
# 2x4 and 4x512, bounded DFS against DPOR, with fast restarts.  Every
# figure comes from running `thpsim explore --format json` here, now.
#
#   bench/explore-table.sh [BUILD_DIR] > docs/data/explore-table.md
#
# Environment: PROFILE (arm64), FIX (none), DFS_CAP (200000 schedules),
# DPOR_CAP (100000 classes at 2x4), BIG_CAP (300 schedules at 4x512),
# CELL_TIMEOUT (120 s per run; a run cut short is reported as such).
# Needs jq.  "ends" = the policy's whole space was explored within the cap.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build/default}
bin=$build/sim/thpsim
[ -x "$bin" ] || { echo "explore-table.sh: no $bin (build first)" >&2; exit 2; }
command -v jq >/dev/null || { echo "explore-table.sh: needs jq" >&2; exit 2; }
profile=${PROFILE:-arm64}
fix=${FIX:-none}
tmo=${CELL_TIMEOUT:-120}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

scenarios=$("$bin" list | awk '/^scenarios:/{s=1;next} /^$/{s=0} s{print $1}')

# run GEO POLICY CAP -> "schedules ends wall user" (ends: yes/no/cut)
run() {
	local geo=$1 pol=$2 cap=$3 rc=0 t
	TIMEFORMAT='%R %U'
	{ time timeout -s TERM "$tmo" "$bin" explore "$sc" --profile "$profile" \
		--fix "$fix" --geometry "$geo" --policy "$pol" \
		--iterations "$cap" --stats-interval 0 --format json \
		>"$tmp/out.json" 2>/dev/null || rc=$?; } 2>"$tmp/time"
	t=$(tail -1 "$tmp/time")
	if ! jq -e .schedules "$tmp/out.json" >/dev/null 2>&1; then
		echo "- - $t"
		return
	fi
	local n ex
	n=$(jq .schedules "$tmp/out.json")
	ex=$(jq -r 'if .exhausted then "yes" else "no" end' "$tmp/out.json")
	[ "$rc" = 124 ] && ex=cut
	echo "$n $ex $t"
}

rate() {	# schedules user-seconds
	awk -v n="$1" -v u="$2" 'BEGIN { if (n == "-" || u <= 0) print "-";
		else printf "%.0f", n / u }'
}

echo "Profile \`$profile\`, fix \`$fix\`; $(nproc) cores, $(date -u +%Y-%m-%d);"
echo "rates are schedules per CPU second (user time), from \`bench/explore-table.sh\`."
echo "DFS: bound 2 preemptions, at most $((${DFS_CAP:-200000})) schedules;"
echo "DPOR: at most ${DPOR_CAP:-100000} classes at 2x4, ${BIG_CAP:-300} at 4x512."
echo
echo "| scenario | 2x4 DFS schedules | ends | DFS /s | 2x4 DPOR classes | ends | DPOR /s | 4x512 random /s | 4x512 DPOR classes | ends | 4x512 DPOR /s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for sc in $scenarios; do
	read -r dn de _ du < <(run 2x4 dfs "${DFS_CAP:-200000}")
	read -r pn pe _ pu < <(run 2x4 dpor "${DPOR_CAP:-100000}")
	read -r rn _ _ ru < <(run 4x512 random "${BIG_CAP:-300}")
	read -r bn be _ bu < <(run 4x512 dpor "${BIG_CAP:-300}")
	echo "| $sc | $dn | $de | $(rate "$dn" "$du") | $pn | $pe | $(rate "$pn" "$pu") | $(rate "$rn" "$ru") | $bn | $be | $(rate "$bn" "$bu") |"
done
