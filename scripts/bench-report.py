#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# usage: scripts/bench-report.py DIR     (DIR: a scripts/bench.sh output directory)
#
# Reads DIR/raw.jsonl (one guest measurement per line), DIR/boots.jsonl and
# DIR/meta.json; prints per kernel and metric the median [min-max] of the
# tierswap, zram and brd runs and the tierswap/zram and tierswap/brd ratios of
# the medians, then the targets; writes DIR/results.json (meta, every
# raw run, the summary) and DIR/bench.png (ratios; needs matplotlib).
import json, os, statistics, sys

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
    for wl in SWAP:
        sel = lambda r, wl=wl: r["workload"] == wl
        out.append((f"{wl} wall", "s", "lower", sel, lambda r: r["wall_s"]))
        out.append((f"{wl} pswpout/s", "", "higher", sel, lambda r: r["pswpout"] / r["wall_s"]))
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


# The targets: (row, target ratio tierswap/zram, better).
TARGETS = [
    ("fio randread-4k j1 IOPS", 1.0, "higher"),
    ("fio randread-4k j1 clat p99", 1.0, "lower"),
    ("fio randwrite-4k j1 IOPS", 1.5, "higher"),
    ("swap-seq wall", 0.8, "lower"), ("swap-rand wall", 0.8, "lower"),
    ("swap-stride wall", 0.8, "lower"), ("stress-ng-vm wall", 0.8, "lower"),
    ("swap-seq pswpout/s", 1.3, "higher"), ("swap-rand pswpout/s", 1.3, "higher"),
    ("swap-stride pswpout/s", 1.3, "higher"), ("stress-ng-vm pswpout/s", 1.3, "higher"),
    ("fio data compression ratio", 1.0, "higher"), ("swap data compression ratio", 1.0, "higher"),
    ("fio data bytes/stored page", 1.0, "lower"), ("swap data bytes/stored page", 1.0, "lower"),
]


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
                vals = []
                for r in kr:
                    if r["device"] == d and sel(r):
                        try:
                            vals.append(val(r))
                        except (KeyError, ZeroDivisionError, ValueError, IndexError):
                            pass
                if vals:
                    row[d] = {"median": statistics.median(vals), "min": min(vals),
                              "max": max(vals), "n": len(vals)}
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
              f" {algo}; median [min-max] of n runs")
        print(f"{'metric':36} {'tierswap':>22} {'zram':>22} {'brd':>22} {'t/zram':>7} {'t/brd':>7}")
        for name, row in ks["rows"].items():
            cells = []
            for d in DEVICES:
                c = row.get(d)
                cells.append(f"{fmt(c['median'])} [{fmt(c['min'])}-{fmt(c['max'])}]" if c else "-")
            unit = f" ({row['unit']})" if row["unit"] else ""
            print(f"{name + unit:36} {cells[0]:>22} {cells[1]:>22} {cells[2]:>22}"
                  f" {fmt(row['tierswap/zram']):>7} {fmt(row['tierswap/brd']):>7}")


def targets(summary):
    res = {}
    for kernel, ks in summary.items():
        for name, goal, better in TARGETS:
            r = ks["rows"].get(name, {}).get("tierswap/zram")
            ok = None if r is None else (r >= goal if better == "higher" else r <= goal)
            res.setdefault(kernel, []).append({"metric": name, "target": f"{'>=' if better == 'higher' else '<='} {goal}x zram",
                                               "ratio": r, "met": ok})
    print("\n== targets (tierswap/zram, medians)")
    kernels = list(res)
    print(f"{'metric':36} {'target':>14} " + " ".join(f"{k:>12}" for k in kernels))
    for i, (name, goal, better) in enumerate(TARGETS):
        cells = []
        for k in kernels:
            t = res[k][i]
            cells.append("-" if t["ratio"] is None else f"{t['ratio']:.2f} {'ok' if t['met'] else 'NO'}")
        print(f"{name:36} {res[kernels[0]][i]['target']:>14} " + " ".join(f"{c:>12}" for c in cells))
    return res


def plot(summary, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench-report: no matplotlib, no plot", file=sys.stderr)
        return False
    names = [n for n in next(iter(summary.values()))["rows"]
             if summary[next(iter(summary))]["rows"][n]["better"] != "info"]
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
    axes[0].set_yticklabels([f"{n} ({'+' if rowinfo[n]['better'] == 'higher' else '-'})" for n in names],
                            fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle("tierswap vs zram and brd under QEMU TCG ((+): higher is better, (-): lower is better)",
                 fontsize=9)
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
    summary = summarize(runs)
    print(f"tierswap benchmark {meta.get('date', '')} (QEMU TCG, 2 vCPUs, 2 GiB; git {meta.get('git_head', '?')},"
          f" {meta.get('module_dirty_files', '?')} uncommitted module files)")
    for k, b in boots.items():
        print(f"  {k}: guest exit {b.get('rc')}, boot wall {b.get('boot_wall_s')} s, host load1 mean"
              f" {b.get('load1_mean', '?')}, other QEMU VMs mean {b.get('other_qemu_mean', '?')}"
              f" max {b.get('other_qemu_max', '?')}")
    print_table(summary, boots)
    tg = targets(summary)
    png = os.path.join(d, "bench.png")
    have_png = plot(summary, png)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"meta": meta, "boots": boots, "runs": runs, "summary": summary, "targets": tg},
                  f, indent=1)
    print(f"\nresults: {d}/results.json" + (f", plot: {png}" if have_png else ""))


main()
