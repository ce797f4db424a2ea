/*
 * arch/profile.c - the architecture profiles of docs/DESIGN.md section 5.
 *
 * Data only: adding a profile is one more entry in profiles[].  Facts come
 * from docs/KERNEL-NOTES.md section 4.2 (which architecture selects
 * MMU_GATHER_RCU_TABLE_FREE, how its remote TLB flush works) and section
 * 3.3 (the powerpc radix deposit).
 */
#include <string.h>

#include "thpsim/arch.h"
#include "machine/errors.h"

static const thpsim_profile_t profile_x86 = {
	.name = "x86",
	.analogue = "x86-64 native, Linux 6.1 without PARAVIRT",
	.description = "IPI flush to mm_cpumask (waits), no RCU table free: sync_one is a stub",
	.tlb_flush = THPSIM_TLB_FLUSH_IPI,
	.rcu_table_free = false,
	.table_free = THPSIM_TABLE_FREE_AFTER_FLUSH,
	.deposit = THPSIM_DEPOSIT_GENERIC,
};

static const thpsim_profile_t profile_x86_paravirt = {
	.name = "x86-paravirt",
	.analogue = "x86-64 PARAVIRT on bare metal, Linux 6.1",
	.description = "IPI flush (waits), RCU table free on, tables freed after the flush (native pv op)",
	.tlb_flush = THPSIM_TLB_FLUSH_IPI,
	.rcu_table_free = true,
	.table_free = THPSIM_TABLE_FREE_AFTER_FLUSH,
	.deposit = THPSIM_DEPOSIT_GENERIC,
};

static const thpsim_profile_t profile_x86_kvm_pv = {
	.name = "x86-kvm-pv",
	.analogue = "x86-64 KVM guest with PV TLB flush",
	.description = "IPI flush that skips preempted vCPUs, RCU batch table free; other IPIs wait for a preempted vCPU to run",
	.tlb_flush = THPSIM_TLB_FLUSH_IPI_SKIP_PREEMPTED,
	.rcu_table_free = true,
	.table_free = THPSIM_TABLE_FREE_RCU_BATCH,
	.deposit = THPSIM_DEPOSIT_GENERIC,
	.guest = true,
};

static const thpsim_profile_t profile_arm64 = {
	.name = "arm64",
	.analogue = "arm64",
	.description = "broadcast TLBI (no IPI), RCU batch table free, mm_cpumask not maintained",
	.tlb_flush = THPSIM_TLB_FLUSH_BROADCAST,
	.rcu_table_free = true,
	.table_free = THPSIM_TABLE_FREE_RCU_BATCH,
	.deposit = THPSIM_DEPOSIT_GENERIC,
	.no_mm_cpumask = true,
};

static const thpsim_profile_t profile_ppc64_radix = {
	.name = "ppc64-radix",
	.analogue = "powerpc book3s64 radix",
	.description = "broadcast tlbie (no IPI), RCU batch, deposit writes list pointers into slots 0-1",
	.tlb_flush = THPSIM_TLB_FLUSH_BROADCAST,
	.rcu_table_free = true,
	.table_free = THPSIM_TABLE_FREE_RCU_BATCH,
	.deposit = THPSIM_DEPOSIT_RADIX,
};

static const thpsim_profile_t profile_broadcast_norcu = {
	.name = "broadcast-norcu",
	.analogue = "none: invalid on purpose (negative control; close to MIPS with MMID)",
	.description = "broadcast flush (no IPI) without RCU table free: breaks the GUP-fast assumption",
	.tlb_flush = THPSIM_TLB_FLUSH_BROADCAST,
	.rcu_table_free = false,
	.table_free = THPSIM_TABLE_FREE_AFTER_FLUSH,
	.deposit = THPSIM_DEPOSIT_GENERIC,
};

static const thpsim_profile_t *const profiles[] = {
	&profile_x86,
	&profile_x86_paravirt,
	&profile_x86_kvm_pv,
	&profile_arm64,
	&profile_ppc64_radix,
	&profile_broadcast_norcu,
	NULL,
};

const thpsim_profile_t *const *thpsim_profile_list(void)
{
	return profiles;
}

const thpsim_profile_t *thpsim_profile_find(const char *name)
{
	char names[256];
	size_t off = 0;

	for (unsigned i = 0; name && profiles[i]; i++)
		if (!strcmp(profiles[i]->name, name))
			return profiles[i];
	names[0] = '\0';
	for (unsigned i = 0; profiles[i] && off < sizeof(names); i++) {
		size_t n = strlen(profiles[i]->name);

		if (off + n + 3 >= sizeof(names))
			break;
		if (off) {
			memcpy(names + off, ", ", 2);
			off += 2;
		}
		memcpy(names + off, profiles[i]->name, n + 1);
		off += n;
	}
	thpsim__err(-THPSIM_EPROFILE, "unknown arch profile '%s' (allowed: %s)",
		    name ? name : "(null)", names);
	return NULL;
}

int thpsim_profile_validate(const thpsim_profile_t *p)
{
	if (!p || !p->name || !*p->name)
		return thpsim__err(-THPSIM_EPROFILE, "profile: missing or without a name");
	if ((unsigned)p->tlb_flush > THPSIM_TLB_FLUSH_BROADCAST)
		return thpsim__err(-THPSIM_EPROFILE,
				   "profile %s: tlb_flush %d outside its enum",
				   p->name, (int)p->tlb_flush);
	if ((unsigned)p->table_free > THPSIM_TABLE_FREE_RCU_BATCH ||
	    (unsigned)p->deposit > THPSIM_DEPOSIT_RADIX)
		return thpsim__err(-THPSIM_EPROFILE,
				   "profile %s: table_free or deposit outside its enum",
				   p->name);
	if (p->table_free == THPSIM_TABLE_FREE_RCU_BATCH && !p->rcu_table_free)
		return thpsim__err(-THPSIM_EPROFILE,
				   "profile %s: an RCU batch table free needs rcu_table_free (MMU_GATHER_RCU_TABLE_FREE)",
				   p->name);
	return 0;
}

const char *thpsim_tlb_flush_kind_name(thpsim_tlb_flush_kind_t k)
{
	switch (k) {
	case THPSIM_TLB_FLUSH_IPI:
		return "ipi";
	case THPSIM_TLB_FLUSH_IPI_SKIP_PREEMPTED:
		return "ipi-skip-preempted";
	case THPSIM_TLB_FLUSH_BROADCAST:
		return "broadcast";
	}
	return "?";
}
