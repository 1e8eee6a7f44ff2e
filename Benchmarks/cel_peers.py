#!/usr/bin/env python3
"""The peers of `stocktake-bench eval`: the same condition over the same 1,000 prepared records,
evaluated by cel-python (celpy) and common-expression-language (cel, Rust-backed).

    VENV/bin/python Benchmarks/cel_peers.py [COUNT]

The condition is stocktake's `status != "Complete" && due != null && days_between(due, today) > 30`
written in standard CEL (no date type): due as a timestamp at midnight, `has(r.due)` for presence.
Records are converted to each library's activation before timing; only evaluation is timed.
"""
import datetime as dt
import sys
import time

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
EXPR = 'r.status != "Complete" && has(r.due) && today - r.due > duration("720h")'
STATUSES = ["Complete", "On track", "At risk", "Not yet started"]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
TODAY = dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)


def records():
    # The same 1,000 records as stocktake-bench: status by i % 4, due absent when i % 7 == 0.
    out = []
    for i in range(1000):
        r = {"ref": f"{i // 10}.{i % 10}", "status": STATUSES[i % 4]}
        if i % 7 != 0:
            r["due"] = EPOCH + dt.timedelta(days=19_700 + (i * 37) % 400)
        out.append(r)
    return out


def report(name, count, seconds, hits):
    print(f"{name:6s} {count} evaluations in {seconds:.3f} s: {count / seconds:,.0f} evaluations/s ({hits} true)")


def run_cel(recs, count):
    import cel
    prog = cel.compile(EXPR)
    contexts = [cel.Context({"r": r, "today": TODAY}) for r in recs]
    hits = 0
    t = time.perf_counter()
    for i in range(count):
        if prog.execute(contexts[i % 1000]):
            hits += 1
    report("cel", count, time.perf_counter() - t, hits)


def run_celpy(recs, count):
    import celpy
    from celpy import celtypes
    env = celpy.Environment()
    prog = env.program(env.compile(EXPR))
    acts = []
    for r in recs:
        m = celtypes.MapType({celtypes.StringType(k): (celtypes.StringType(v) if isinstance(v, str) else celtypes.TimestampType(v))
                              for k, v in r.items()})
        acts.append({"r": m, "today": celtypes.TimestampType(TODAY)})
    hits = 0
    t = time.perf_counter()
    for i in range(count):
        if prog.evaluate(acts[i % 1000]):
            hits += 1
    report("celpy", count, time.perf_counter() - t, hits)


if __name__ == "__main__":
    recs = records()
    run_cel(recs, COUNT)
    run_celpy(recs, max(1000, COUNT // 100))
