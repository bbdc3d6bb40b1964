#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/bench-report.py DIR     (DIR: a scripts/bench.sh output directory)
#
# Reads DIR/raw.jsonl (one guest measurement per line), DIR/boots.jsonl and
# DIR/meta.json; prints per kernel and metric the median [min-max] and n of
# the tierswap, zram and brd runs and the tierswap/zram and tierswap/brd
# ratios of the medians, then each part's I/O health (io_stat failed_reads,
# failed_writes, errors) and the targets; writes DIR/results.json
# (meta, every raw run, the summary) and DIR/bench.png (ratios; needs
# matplotlib).  A run that errored (its own "errored", or an error or failed
# I/O in its part's health line) is listed and counted ("+NE" after n) but
# kept out of the median.  So is a value that cannot be computed from its
# run (a missing field such as cpu_s, a 0 denominator such as io_bytes or
# pswpin + pswpout): the run gets "value_errors" {row: why} in results.json,
# the row's cell counts it in "+NE" and the report lists it ("NO VALUE").
# Targets: the verdict compares the unrounded tierswap/zram ratio (or
# tierswap/brd, for the swap storms' second target) with the target (>= or
# <=); the ratio is shown with 2 decimals, more when 2 would round it onto
# the other side (0.9996 for >= 1.0: "0.9996 NO").
# Exits 1 when a run errored, a value could not be computed, a target's
# ratio could not be computed (also when BENCH_* knobs left its workload or
# zram or brd out: its target was not checked), I/O failed or a guest exited
# non-zero, after writing everything.
import json, math, os, statistics, sys

DEVICES = ("tierswap", "zram", "brd")
FIO = ("randread-4k", "randwrite-4k", "seqread-64k", "seqwrite-64k")
SWAP = ("swap-seq", "swap-rand", "swap-stride", "stress-ng-vm")


def rows():
    """(row name, unit, better, record filter, value function)."""
    out = []
    for wl in FIO:
        for nj in (1, 2):
            sel = lambda r, wl=wl, nj=nj: r["workload"] == "fio-" + wl and r["numjobs"] == nj
            name = f"fio {wl} j{nj}"
            out.append((f"{name} IOPS", "", "higher", sel, lambda r: r["iops"]))
            out.append((f"{name} clat mean", "us", "lower", sel, lambda r: r["clat_mean_us"]))
            out.append((f"{name} clat p99", "us", "lower", sel, lambda r: r["clat_p99_us"]))
            out.append((f"{name} CPU/GiB", "s", "lower", sel, lambda r: r["cpu_s"] * 2**30 / r["io_bytes"]))
    for wl in SWAP:
        sel = lambda r, wl=wl: r["workload"] == wl
        out.append((f"{wl} wall", "s", "lower", sel, lambda r: r["wall_s"]))
        # CPU time of all CPUs per GiB swapped (in + out).
        out.append((f"{wl} CPU/GiB", "s", "lower", sel,
                    lambda r: r["cpu_s"] * 2**30 / ((r["pswpin"] + r["pswpout"]) * 4096)))
        # Mirrors wall time (same pages, less time): shown, not a target.
        out.append((f"{wl} pswpout/s", "", "info", sel, lambda r: r["pswpout"] / r["wall_s"]))
        out.append((f"{wl} pswpin", "", "info", sel, lambda r: r["pswpin"]))
        out.append((f"{wl} pswpout", "", "info", sel, lambda r: r["pswpout"]))
        if wl != "stress-ng-vm":
            out.append((f"{wl} fault p50", "us", "lower", sel, lambda r: r["fault_p50_us"]))
            out.append((f"{wl} fault p99", "us", "lower", sel, lambda r: r["fault_p99_us"]))
    for data, sel in (("fio data", lambda r: r["workload"] == "fio-data"),
                      ("swap data", lambda r: r["workload"].startswith("swap-"))):
        has = lambda r, sel=sel: sel(r) and r.get("mm_stat")
        out.append((f"{data} compression ratio", "x", "higher", has, lambda r: mm(r)[0] / mm(r)[1]))
        # The pool plus what the device allocated at disksize, measured the
        # same way for both (VmallocUsed growth: tables, staging, per-CPU
        # workspaces); then the pool alone.  The fixed part weighs more the
        # less is stored.
        out.append((f"{data} bytes/stored page", "B", "lower", has,
                    lambda r: (pool(r) + r["fixed_bytes"]) * 4096 / mm(r)[0]))
        out.append((f"{data} bytes/page w/o fixed", "B", "lower", has,
                    lambda r: pool(r) * 4096 / mm(r)[0]))
    return out


def pool(r):
    """Bytes in the compressed pool: mem_used_total without tierswap's table."""
    return mm(r)[2] - r["table_bytes"]


def mm(r):
    """orig_data_size, compr_data_size, mem_used_total of a record's mm_stat."""
    return [int(x) for x in r["mm_stat"].split()[:3]]


# The targets: (row, target ratio, better, vs): tierswap/vs for vs zram,
# and for the swap storms also brd (a RAM disk that stores pages as they
# are: the floor a swap device can reach).
TARGETS = [(name, goal, better, "zram") for name, goal, better in [
    ("fio randread-4k j1 IOPS", 1.0, "higher"),
    ("fio randread-4k j1 clat p99", 1.0, "lower"),
    ("fio randwrite-4k j1 IOPS", 1.5, "higher"),
    ("fio randwrite-4k j2 IOPS", 1.0, "higher"),
    ("swap-seq wall", 0.8, "lower"), ("swap-rand wall", 0.8, "lower"),
    ("swap-stride wall", 0.8, "lower"), ("stress-ng-vm wall", 0.8, "lower"),
] + [(f"fio {wl} j{nj} CPU/GiB", 1.1, "lower") for wl in FIO for nj in (1, 2)] + [
    (f"{wl} CPU/GiB", 1.1, "lower") for wl in SWAP] + [
    ("fio data compression ratio", 1.0, "higher"), ("swap data compression ratio", 1.0, "higher"),
    ("fio data bytes/stored page", 1.0, "lower"), ("swap data bytes/stored page", 1.0, "lower"),
]] + [(f"{wl} wall", 1.05, "lower", "brd") for wl in SWAP]


def part_key(r):
    return (r["kernel"], r["rep"], r["device"], r.get("part"))


def mark_errors(runs):
    """Set r["error"] (why) on every run that errored, by itself or through
    its part's health line; return the health lines."""
    health = [r for r in runs if r["workload"] == "health"]
    bad = {}
    for h in health:
        why = list(h.get("errors", []))
        for c in ("failed_reads", "failed_writes"):
            if h.get(c):
                why.append(f"{c} {h[c]}")
        if why:
            bad[part_key(h)] = "; ".join(why)
    for r in runs:
        why = [r["errored"]] if r.get("errored") else []
        if r["workload"] != "health" and r.get("part") and part_key(r) in bad:
            why.append(f"its part ({r['part']}): {bad[part_key(r)]}")
        if r["workload"].startswith("fio-") and r.get("error"):
            why.append(f"fio error {r['error']}")
        if why:
            r["error_why"] = "; ".join(dict.fromkeys(why))
    return health


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    return f"{v:.0f}" if a >= 1000 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def load_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def summarize(runs):
    summary = {}
    for kernel in sorted({r["kernel"] for r in runs}, key=lambda k: [int(x) for x in k.split(".")]):
        kr = [r for r in runs if r["kernel"] == kernel]
        ks = summary[kernel] = {"algo": {d: sorted({r["algo"] for r in kr if r["device"] == d})
                                         for d in DEVICES}, "rows": {}}
        for name, unit, better, sel, val in rows():
            row = {"unit": unit, "better": better}
            for d in DEVICES:
                vals, nerr = [], 0
                for r in kr:
                    if r["device"] == d and sel(r):
                        if r.get("error_why"):
                            nerr += 1
                            continue
                        why = None
                        try:
                            v = val(r)
                            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                                why = f"not a number: {v!r}"
                        except KeyError as e:
                            why = f"no {e.args[0]!r} in the record"
                        except ZeroDivisionError:
                            why = "division by zero (nothing measured: 0 bytes, pages or seconds)"
                        except (ValueError, IndexError, TypeError) as e:
                            why = f"{type(e).__name__}: {e}"
                        if why:
                            # Kept in the raw data, counted and listed, out of the median.
                            r.setdefault("value_errors", {})[name] = why
                            nerr += 1
                        else:
                            vals.append(v)
                if vals:
                    row[d] = {"median": statistics.median(vals), "min": min(vals),
                              "max": max(vals), "n": len(vals), "errored": nerr}
                elif nerr:
                    row[d] = {"median": None, "min": None, "max": None, "n": 0, "errored": nerr}
            t = row.get("tierswap", {}).get("median")
            for d in ("zram", "brd"):
                o = row.get(d, {}).get("median")
                row[f"tierswap/{d}"] = t / o if t is not None and o else None
            if any(d in row for d in DEVICES):
                ks["rows"][name] = row
    return summary


def print_table(summary, boots):
    for kernel, ks in summary.items():
        b = boots.get(kernel, {})
        algo = ", ".join(f"{d}: {'/'.join(a)}" for d, a in ks["algo"].items() if a)
        print(f"\n== kernel {kernel} ({b.get('kver', '?')}), boot wall {b.get('boot_wall_s', '?')} s;"
              f" {algo}; median [min-max] n of the runs that did not error"
              f" (+NE: N errored runs, left out of the median)")
        print(f"{'metric':36} {'tierswap':>27} {'zram':>27} {'brd':>27} {'t/zram':>7} {'t/brd':>7}")
        for name, row in ks["rows"].items():
            cells = []
            for d in DEVICES:
                c = row.get(d)
                if not c:
                    cells.append("-")
                    continue
                e = f"+{c['errored']}E" if c.get("errored") else ""
                cells.append(f"{fmt(c['median'])} [{fmt(c['min'])}-{fmt(c['max'])}] {c['n']}{e}"
                             if c["n"] else f"- {c['n']}{e}")
            unit = f" ({row['unit']})" if row["unit"] else ""
            print(f"{name + unit:36} {cells[0]:>27} {cells[1]:>27} {cells[2]:>27}"
                  f" {fmt(row['tierswap/zram']):>7} {fmt(row['tierswap/brd']):>7}")


def print_health(runs, health, boots):
    """Per kernel and device: parts with a health line, the sums of
    failed_reads and failed_writes, and every errored run.  Returns the
    problems found (empty: all clean)."""
    problems = []
    print("\n== I/O health: io_stat failed_reads/failed_writes at the end of each part (must be 0),"
          " errored runs")
    for k, b in boots.items():
        if b.get("rc") not in (0, None):
            problems.append(f"kernel {k}: guest exited {b.get('rc')}")
    kernels = sorted({r["kernel"] for r in runs}, key=lambda k: [int(x) for x in k.split(".")])
    for kernel in kernels:
        for d in DEVICES:
            hs = [h for h in health if h["kernel"] == kernel and h["device"] == d]
            if not any(r["kernel"] == kernel and r["device"] == d for r in runs):
                continue
            if not hs:
                print(f"{kernel:>5} {d:9} no health lines recorded (raw data from an older bench)")
                continue
            fr = [h["failed_reads"] for h in hs if h.get("failed_reads") is not None]
            fw = [h["failed_writes"] for h in hs if h.get("failed_writes") is not None]
            cnt = (f"failed_reads {sum(fr)} failed_writes {sum(fw)}" if fr or fw
                   else "no io_stat failure counters")
            nerr = sum(1 for h in hs if h.get("errors"))
            flag = "ok" if not (sum(fr) or sum(fw) or nerr) else "!! FAILED"
            print(f"{kernel:>5} {d:9} {len(hs)} parts: {cnt}, {nerr} parts with errors  {flag}")
            if flag != "ok":
                problems.append(f"kernel {kernel} {d}: {cnt}, {nerr} parts with errors")
    have = {part_key(h) for h in health}
    open_parts = sorted({part_key(r) for r in runs if r.get("part") and part_key(r) not in have},
                        key=str)
    for k in open_parts:
        print(f"  NO HEALTH LINE: kernel {k[0]} rep {k[1]} {k[2]} {k[3]} (the guest stopped in it?)")
        problems.append(f"kernel {k[0]} rep {k[1]} {k[2]} {k[3]}: no health line")
    errs = [r for r in runs if r.get("error_why") and r["workload"] != "health"]
    for r in errs:
        wl = r["workload"] + (f" j{r['numjobs']}" if "numjobs" in r else "")
        print(f"  ERRORED: kernel {r['kernel']} rep {r['rep']} {r['device']} {wl}: {r['error_why']}")
    if errs:
        problems.append(f"{len(errs)} errored runs")
    verrs = [(r, m, why) for r in runs for m, why in r.get("value_errors", {}).items()]
    for r, m, why in verrs:
        print(f"  NO VALUE: kernel {r['kernel']} rep {r['rep']} {r['device']} {m}: {why}")
    if verrs:
        problems.append(f"{len(verrs)} values that could not be computed")
    return problems


def met(r, goal, better):
    """The target's verdict, on the unrounded ratio r."""
    return r >= goal if better == "higher" else r <= goal


def fmt_ratio(r, goal, better):
    """r with 2 decimals, or more (up to 6) when 2 would round it onto the
    other side of the goal: the shown value always agrees with the verdict
    (0.9996 vs >= 1.0 shows "0.9996 NO", never "1.00 NO")."""
    for nd in range(2, 7):
        s = f"{r:.{nd}f}"
        if met(float(s), goal, better) == met(r, goal, better):
            return s
    return repr(r)


def targets(summary):
    """Print the targets table; return (results, problems): a target whose
    ratio cannot be computed (no tierswap or comparator median, the
    comparator's 0) is a problem."""
    res, problems = {}, []
    for kernel, ks in summary.items():
        for name, goal, better, vs in TARGETS:
            row = ks["rows"].get(name, {})
            r = row.get(f"tierswap/{vs}")
            ok = None if r is None else met(r, goal, better)
            res.setdefault(kernel, []).append({"metric": name, "target": f"{'>=' if better == 'higher' else '<='} {goal}x {vs}",
                                               "ratio": r, "met": ok})
            if r is None:
                have = ", ".join(f"{d} median {fmt(row.get(d, {}).get('median'))}"
                                 f" n {row.get(d, {}).get('n', 0)}" for d in ("tierswap", vs))
                problems.append(f"kernel {kernel}: target {name} vs {vs}: no ratio ({have})")
    print("\n== targets (tierswap/zram or tierswap/brd, medians; verdict on the unrounded ratio, shown with more than 2"
          " decimals when 2 would round it across the target; !E: some runs errored and are left out;"
          " -: no ratio, a problem)")
    kernels = list(res)
    print(f"{'metric':36} {'target':>14} " + " ".join(f"{k:>12}" for k in kernels))
    for i, (name, goal, better, vs) in enumerate(TARGETS):
        cells = []
        for k in kernels:
            t = res[k][i]
            errs = any(summary[k]["rows"].get(name, {}).get(d, {}).get("errored") for d in ("tierswap", vs))
            cells.append(("-" if t["ratio"] is None
                          else f"{fmt_ratio(t['ratio'], goal, better)} {'ok' if t['met'] else 'NO'}")
                         + ("!E" if errs else ""))
        print(f"{name:36} {res[kernels[0]][i]['target']:>14} " + " ".join(f"{c:>12}" for c in cells))
    return res, problems


def plot(summary, path, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench-report: no matplotlib, no plot", file=sys.stderr)
        return False
    names = [n for n in next(iter(summary.values()))["rows"]
             if summary[next(iter(summary))]["rows"][n]["better"] != "info"]
    if not names:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(14, 0.22 * len(names) + 1.5), sharey=True)
    for ax, other in zip(axes, ("zram", "brd")):
        h = 0.8 / len(summary)
        for i, (kernel, ks) in enumerate(summary.items()):
            vals = [ks["rows"].get(n, {}).get(f"tierswap/{other}") or 0 for n in names]
            ax.barh([j + i * h for j in range(len(names))], vals, height=h, label=kernel)
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_title(f"tierswap / {other} (medians)")
        ax.set_xscale("log")
        ax.legend(loc="lower right", fontsize=7)
    rowinfo = next(iter(summary.values()))["rows"]
    axes[0].set_yticks([j + 0.4 - 0.4 / len(summary) for j in range(len(names))])
    def errored(n):
        return any(ks["rows"].get(n, {}).get(d, {}).get("errored") for ks in summary.values() for d in DEVICES)
    axes[0].set_yticklabels([f"{n} ({'+' if rowinfo[n]['better'] == 'higher' else '-'})"
                             f"{' ERRORED RUNS' if errored(n) else ''}" for n in names], fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle("tierswap vs zram and brd under QEMU TCG ((+): higher is better, (-): lower is better;"
                 " CPU/GiB: all CPUs' busy time per GiB)\n" + title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return True


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print("usage: scripts/bench-report.py DIR", file=sys.stderr)
        sys.exit(2)
    d = sys.argv[1]
    runs = load_lines(os.path.join(d, "raw.jsonl"))
    boots = {b["kernel"]: b for b in load_lines(os.path.join(d, "boots.jsonl"))}
    for b in boots.values():
        try:
            samples = [l.split() for l in open(b["load"]) if l.strip()]
            b["load1_mean"] = round(statistics.mean(float(s[1]) for s in samples), 2)
            b["other_qemu_max"] = max(int(s[2]) for s in samples) - 1
            b["other_qemu_mean"] = round(statistics.mean(int(s[2]) for s in samples) - 1, 2)
        except (OSError, ValueError, IndexError, statistics.StatisticsError):
            pass
    meta = {}
    if os.path.exists(os.path.join(d, "meta.json")):
        meta = json.load(open(os.path.join(d, "meta.json")))
    if not runs:
        print(f"bench-report: no results in {d}/raw.jsonl", file=sys.stderr)
        sys.exit(1)
    health = mark_errors(runs)
    summary = summarize(runs)
    print(f"tierswap benchmark {meta.get('date', '')} (QEMU TCG, 2 vCPUs, 2 GiB; git {meta.get('git_head', '?')},"
          f" {meta.get('module_dirty_files', '?')} uncommitted module files)")
    for k, b in boots.items():
        print(f"  {k}: guest exit {b.get('rc')}, boot wall {b.get('boot_wall_s')} s, host load1 mean"
              f" {b.get('load1_mean', '?')}, other QEMU VMs mean {b.get('other_qemu_mean', '?')}"
              f" max {b.get('other_qemu_max', '?')}")
    print_table(summary, boots)
    problems = print_health(runs, health, boots)
    tg, tproblems = targets(summary)
    problems += tproblems
    png = os.path.join(d, "bench.png")
    title = (f"{meta.get('date', '?')}, git {meta.get('git_head', '?')}, kernels {', '.join(summary)};"
             f" knobs: {meta.get('knobs') or 'defaults'}"
             + (f"; {len(problems)} PROBLEMS, see the report" if problems else ""))
    have_png = plot(summary, png, title)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"meta": meta, "boots": boots, "runs": runs, "summary": summary, "targets": tg,
                   "problems": problems}, f, indent=1)
    print(f"\nresults: {d}/results.json" + (f", plot: {png}" if have_png else ""))
    if problems:
        print("\n!!!!! BENCH PROBLEMS: the figures above are incomplete or come from a device that failed !!!!!")
        for p in problems:
            print(f"!!!!! {p}")
        sys.exit(1)


main()
