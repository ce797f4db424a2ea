// gbench.cc - the C shim over Google Benchmark (see gbench.h).
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <atomic>

struct gbench {
	benchmark::internal::Benchmark *b;
};

struct gbench_state {
	benchmark::State *s;
	uint64_t batch;
	bool started;
};

namespace {

// Any benchmark reported an error: gbench_main() then exits 1, so a smoke
// run in CI fails on it (Google Benchmark itself exits 0).
std::atomic<bool> any_error{false};

benchmark::Counter::Flags to_flags(unsigned f)
{
	int r = benchmark::Counter::kDefaults;

	if (f & GBENCH_RATE)
		r |= benchmark::Counter::kIsRate;
	if (f & GBENCH_AVG_THREADS)
		r |= benchmark::Counter::kAvgThreads;
	if (f & GBENCH_AVG_ITERATIONS)
		r |= benchmark::Counter::kAvgIterations;
	return static_cast<benchmark::Counter::Flags>(r);
}

} // namespace

extern "C" {

gbench_t *gbench_register(const char *name, gbench_fn fn, void *arg)
{
	auto *g = new gbench;

	g->b = benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &s) {
		gbench_state st{&s, 0, false};
		fn(&st, arg);
		// A C body that never looped still owes the framework a run.
		if (!st.started)
			while (s.KeepRunningBatch(1)) {
			}
	});
	return g;	// lives as long as the registration: the process
}

gbench_t *gbench_arg(gbench_t *b, int64_t a) { b->b->Arg(a); return b; }
gbench_t *gbench_args2(gbench_t *b, int64_t a, int64_t c)
{
	b->b->Args({a, c});
	return b;
}
gbench_t *gbench_range(gbench_t *b, int64_t lo, int64_t hi)
{
	b->b->Range(lo, hi);
	return b;
}
gbench_t *gbench_dense_range(gbench_t *b, int64_t lo, int64_t hi)
{
	b->b->DenseRange(lo, hi);
	return b;
}
gbench_t *gbench_arg_name(gbench_t *b, const char *arg_name)
{
	b->b->ArgName(arg_name);
	return b;
}
gbench_t *gbench_threads(gbench_t *b, int n) { b->b->Threads(n); return b; }
gbench_t *gbench_real_time(gbench_t *b) { b->b->UseRealTime(); return b; }
gbench_t *gbench_manual_time(gbench_t *b) { b->b->UseManualTime(); return b; }
gbench_t *gbench_iterations(gbench_t *b, int64_t n)
{
	b->b->Iterations(n);
	return b;
}
gbench_t *gbench_min_time(gbench_t *b, double s) { b->b->MinTime(s); return b; }
gbench_t *gbench_unit(gbench_t *b, enum gbench_unit u)
{
	static const benchmark::TimeUnit units[] = {
		benchmark::kNanosecond, benchmark::kMicrosecond,
		benchmark::kMillisecond, benchmark::kSecond,
	};
	b->b->Unit(units[u]);
	return b;
}

bool gbench_keep_running_batch(gbench_state_t *st, uint64_t n)
{
	st->started = true;
	st->batch = n;
	return st->s->KeepRunningBatch(static_cast<benchmark::IterationCount>(n));
}

int64_t gbench_state_arg(gbench_state_t *st, int i) { return st->s->range(i); }
int gbench_thread_index(gbench_state_t *st) { return st->s->thread_index(); }
int gbench_nr_threads(gbench_state_t *st) { return st->s->threads(); }
uint64_t gbench_iterations_done(gbench_state_t *st)
{
	return static_cast<uint64_t>(st->s->iterations());
}
void gbench_pause(gbench_state_t *st) { st->s->PauseTiming(); }
void gbench_resume(gbench_state_t *st) { st->s->ResumeTiming(); }
void gbench_set_iteration_time(gbench_state_t *st, double s)
{
	st->s->SetIterationTime(s);
}

void gbench_counter(gbench_state_t *st, const char *name, double value,
		    unsigned flags)
{
	st->s->counters[name] = benchmark::Counter(value, to_flags(flags));
}

void gbench_label(gbench_state_t *st, const char *label)
{
	st->s->SetLabel(label);
}

void gbench_error(gbench_state_t *st, const char *msg)
{
	st->started = true;
	any_error.store(true);
	st->s->SkipWithError(msg);
}

int gbench_main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return any_error.load() ? 1 : 0;
}

} // extern "C"
