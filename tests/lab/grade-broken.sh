#!/bin/sh
# grade-broken.sh GRADE_SH BUILD_DIR DIR: a submission whose strategy
# breaks a model rule in one hook and crashes in another.  The grader
# must name the rule, score the exercise that crashed 0, and still score
# the others (ex1 in full: DIR holds the reference answers).
set -u
out=$(sh "$1" "$2" broken "$3" 2>&1)
echo "$out"
fail() { echo "grade-broken: $*" >&2; exit 1; }
echo "$out" | grep -q "collapse_deposit_table" || fail "the broken deposit's rule is not named"
echo "$out" | grep -q "^ex2: no score: the checker died of signal 6" || fail "the crash is not reported as one"
echo "$out" | grep -q "^ex1 *8/8" || fail "ex1 was not scored after ex2 crashed"
echo "$out" | grep -q "^ex3 *0/6" || fail "ex3 was not scored"
echo "grade-broken: ok"
