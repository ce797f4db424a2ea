#!/bin/bash
# shard-merge.sh - sharded + merged == unsharded, byte for byte, for
# `thpsim matrix` (csv and json), `thpsim scale` (csv and json) and
# `thpsim explore` (json), with the
# shards merged in a scrambled order, more shards than rows, and the
# refusals: a missing shard, a repeated one, one of another sweep, a
# truncated one, bad --shard values (exit 2 naming the value).
# usage: tests/cli/shard-merge.sh THPSIM
set -u
T=${1:?usage: $0 THPSIM}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# sweep NAME N CMD... : run CMD unsharded and as N shards, merge, compare.
sweep() {
	local name=$1 n=$2 files=() k
	shift 2
	"$@" > "$dir/$name.whole"
	local rc=$?
	case $rc in 0|1|5) ;; *) bad "$name: unsharded run exited $rc" ;; esac
	for k in $(seq 1 "$n"); do
		"$@" --shard "$k/$n" > "$dir/$name.$k"
		rc=$?
		case $rc in 0|1|5) ;; *) bad "$name: shard $k/$n exited $rc" ;; esac
	done
	# scrambled order: even shards first, then odd, from the last down
	for k in $(seq "$n" -1 1); do [ $((k % 2)) -eq 0 ] && files+=("$dir/$name.$k"); done
	for k in $(seq "$n" -1 1); do [ $((k % 2)) -eq 1 ] && files+=("$dir/$name.$k"); done
	"$T" merge "${files[@]}" > "$dir/$name.merged" || bad "$name: merge exited $?"
	cmp -s "$dir/$name.whole" "$dir/$name.merged" || {
		bad "$name: merged output differs from the unsharded one"
		diff "$dir/$name.whole" "$dir/$name.merged" | head -5 >&2
	}
}

M=("$T" matrix --scenarios S1,S7,S8 --profiles x86-kvm-pv,arm64,broadcast-norcu
   --fixes ipi-sync,ipi-sync-targeted,skip-redundant-sync,rcu-fallback --geometry 2x4)
sweep mcsv 4 "${M[@]}" --format csv
sweep mjson 3 "${M[@]}" --format json
sweep mone 1 "${M[@]}" --format csv
sweep mmany 50 "${M[@]}" --format csv	# 36 cells: some shards are empty
sweep mknobs 5 "${M[@]}" --knob-sets standard --format json
if "$T" explore --help 2>/dev/null | grep -q -- --shard; then
	X=("$T" explore S4 --profile arm64 --fix none --no-pmd-recheck --geometry 2x4 --format json)
	sweep xrand 4 "${X[@]}" --policy random --iterations 300 --seed 1
	grep -q '"first_violation": {' "$dir/xrand.whole" || bad "xrand: no violation to merge"
	sweep xsafe 3 "$T" explore S1 --profile arm64 --fix ipi-sync --geometry 2x4 \
		--format json --iterations 100
	grep -q '"first_violation": null' "$dir/xsafe.whole" || bad "xsafe: a violation"
	sweep xmany 7 "$T" explore S2 --profile x86-kvm-pv --fix skip-redundant-sync \
		--geometry 2x4 --format json --iterations 5 --switch-prob 0.2
fi
if "$T" scale --help >/dev/null 2>&1; then
	S=("$T" scale --cpus 2,4,16 --fixes ipi-sync,skip-redundant-sync,fresh-table
	   --collapses 5 --geometry 4x64)
	sweep scsv 4 "${S[@]}" --format csv
	sweep sjson 2 "${S[@]}" --format json
	sweep smany 12 "${S[@]}" --format csv	# 9 rows: some shards are empty
	sweep sfork 3 "$T" scale --workload fork-storm --profile x86-kvm-pv \
		--cpus 4,8 --fixes ipi-sync,rcu-fallback --collapses 2 --format json
fi

# refusals: exit 2 and a message naming the problem
refused() {
	local want=$1 out rc
	shift
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq 2 ] || bad "'$*': exit $rc, expected 2"
	case $out in *"$want"*) ;; *) bad "'$*': message '$out' does not name '$want'" ;; esac
}
refused "shard 3/4 is missing" "$T" merge "$dir/mcsv.1" "$dir/mcsv.2" "$dir/mcsv.4"
refused "given twice" "$T" merge "$dir/mcsv.1" "$dir/mcsv.1" "$dir/mcsv.2" "$dir/mcsv.3" "$dir/mcsv.4"
refused "not of the same sweep" "$T" merge "$dir/mcsv.1" "$dir/mjson.2"
head -n 3 "$dir/mcsv.2" > "$dir/trunc"
refused "missing" "$T" merge "$dir/mcsv.1" "$dir/trunc" "$dir/mcsv.3" "$dir/mcsv.4"
refused "not the output of a --shard run" "$T" merge "$dir/mcsv.whole"
refused "cannot read" "$T" merge "$dir/nonexistent"
refused "no files" "$T" merge
for v in 0/3 4/3 3 1/0 a/b -1/2 1/2/3 2k/4; do
	refused "'$v'" "${M[@]}" --format csv --shard "$v"
done
refused "needs --format csv or json" "${M[@]}" --shard 1/2
if "$T" scale --help >/dev/null 2>&1; then
	refused "needs --format csv or json" "${S[@]}" --shard 1/2
	refused "'5/4'" "${S[@]}" --format csv --shard 5/4
	refused "not of the same sweep" "$T" merge "$dir/scsv.1" "$dir/mcsv.2"
fi
if "$T" explore --help 2>/dev/null | grep -q -- --shard; then
	refused "random only" "$T" explore S1 --policy pct --format json --shard 1/2
	refused "random only" "$T" explore S1 --policy dfs --format json --shard 1/2
	refused "needs --format json" "$T" explore S1 --shard 1/2
	refused "'3/2'" "$T" explore S1 --format json --shard 3/2
	refused "not of the same sweep" "$T" merge "$dir/xrand.1" "$dir/xsafe.2"
fi
exit $fail
