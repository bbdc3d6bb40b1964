#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# usage: fio-summary.py MARKER KERNEL REP DEVICE ALGO FILE
# In the guest: one "MARKER {json}" line per reporting group (job named
# <workload>-j<numjobs>, see bench/device.fio) of the fio JSON output FILE:
# IOPS, bandwidth, mean/p50/p99 completion latency (us) of all its jobs.
import json, re, sys

marker, kernel, rep, device, algo, path = sys.argv[1:7]
for job in json.load(open(path))["jobs"]:
    m = re.match(r"(.+)-j(\d+)$", job["jobname"])
    if not m:
        continue
    d = job["read"] if job["read"]["io_bytes"] else job["write"]
    pct = d["clat_ns"].get("percentile", {})
    rec = dict(kernel=kernel, rep=int(rep), device=device, algo=algo,
               workload="fio-" + m.group(1), numjobs=int(m.group(2)),
               iops=round(d["iops"], 1), bw_mib_s=round(d["bw_bytes"] / 2**20, 2),
               clat_mean_us=round(d["clat_ns"]["mean"] / 1e3, 2),
               clat_p50_us=round(pct.get("50.000000", 0) / 1e3, 2),
               clat_p99_us=round(pct.get("99.000000", 0) / 1e3, 2),
               runtime_s=round(job["job_runtime"] / 1e3 / int(m.group(2)), 2), error=job["error"])
    print(marker, json.dumps(rec), flush=True)
