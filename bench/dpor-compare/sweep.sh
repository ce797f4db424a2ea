#!/bin/bash
# sweep.sh BIN TAG CAP  (all cells, sequential)
for S in S1 S2 S3 S4 S5 S6 S7 S8 S10 S12 S13; do for P in x86 arm64 x86-kvm-pv; do for F in none ipi-sync fresh-table; do
 /tmp/cmp/run1.sh $1 $2 $3 $S $P $F; done; done; done
