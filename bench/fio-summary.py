#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# usage: fio-summary.py MARKER KERNEL REP DEVICE ALGO FILE [CPULOG]
# In the guest: one "MARKER {json}" line per reporting group (job named
# <workload>-j<numjobs>, see bench/device.fio) of the fio JSON output FILE:
# IOPS, bandwidth, mean/p50/p99 completion latency (us) of all its jobs,
# io_bytes, fio's error, and with CPULOG (bench/cpustamp's lines) cpu_s:
# the non-idle, non-iowait time of all CPUs (user nice system irq softirq
# steal of /proc/stat) from the job's first "pre" stamp to its last "post".
# A job is "errored" (why) on a fio error, without both stamps or with no I/O.
import json, os, re, sys

marker, kernel, rep, device, algo, path = sys.argv[1:7]
stamps = {}
if len(sys.argv) > 7 and os.path.exists(sys.argv[7]):
    for line in open(sys.argv[7]):
        f = line.split()
        if len(f) >= 12 and f[2] == "cpu":
            v = [int(x) for x in f[3:11]]
            busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
            s = stamps.setdefault(f[1], {})
            if f[0] == "pre":
                s.setdefault("pre", busy)
            else:
                s["post"] = busy
tck = os.sysconf("SC_CLK_TCK")
for job in json.load(open(path))["jobs"]:
    m = re.match(r"(.+)-j(\d+)$", job["jobname"])
    if not m:
        continue
    d = job["read"] if job["read"]["io_bytes"] else job["write"]
    pct = d["clat_ns"].get("percentile", {})
    s = stamps.get(job["jobname"], {})
    rec = dict(kernel=kernel, rep=int(rep), device=device, algo=algo,
               workload="fio-" + m.group(1), numjobs=int(m.group(2)),
               iops=round(d["iops"], 1), bw_mib_s=round(d["bw_bytes"] / 2**20, 2),
               clat_mean_us=round(d["clat_ns"]["mean"] / 1e3, 2),
               clat_p50_us=round(pct.get("50.000000", 0) / 1e3, 2),
               clat_p99_us=round(pct.get("99.000000", 0) / 1e3, 2),
               runtime_s=round(job["job_runtime"] / 1e3 / int(m.group(2)), 2),
               io_bytes=job["read"]["io_bytes"] + job["write"]["io_bytes"], error=job["error"])
    why = []
    if job["error"]:
        why.append(f"fio error {job['error']}")
    if "pre" in s and "post" in s:
        rec["cpu_s"] = round((s["post"] - s["pre"]) / tck, 3)
    else:
        why.append("no cpustamp pre/post lines: no cpu_s")
    if not rec["io_bytes"]:
        why.append("no I/O (io_bytes 0)")
    if why:
        rec["errored"] = "; ".join(why)
    print(marker, json.dumps(rec), flush=True)
