#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""usage: perf script -F comm,ip,sym | bench/perf-breakdown.py NS_PER_IO TOP

Reads `perf script` samples with call chains (perf record -g) and prints,
as a share of all samples and as nanoseconds per I/O (share x NS_PER_IO):
  self: the TOP symbols where samples landed;
  incl: the TOP kernel symbols by inclusive time (the sample's chain holds
        them), the device's own functions and the block layer first;
  from: for each helper in the self list (spin locks, irq restore, memset,
        memcpy, clear_page, read_hpet...), the callers that sampled it
        (under TCG, work done with interrupts off is sampled where they come
        back on, so the caller is what costs).
"""
import collections
import re
import sys

ns_per_io = float(sys.argv[1])
top = int(sys.argv[2])
HELPER = re.compile(r'spin_lock|spin_unlock|queued_spin|irqrestore|unlock_irq|'
                    r'^mem(set|cpy)|clear_page|copy_user|read_hpet')

samples = []
chain = None
for line in sys.stdin:
    line = line.rstrip('\n')
    if not line.strip():
        if chain:
            samples.append(chain)
        chain = None
        continue
    if not line.startswith((' ', '\t')):
        chain = []
        continue
    if chain is None:
        continue
    parts = line.split(None, 1)
    sym = parts[1] if len(parts) > 1 else '[unknown]'
    sym = re.sub(r'\+0x[0-9a-f]+$', '', sym.split(' (')[0])
    chain.append(sym)
if chain:
    samples.append(chain)
n = len(samples)
if not n:
    sys.exit('perf-breakdown: no samples')

self_c = collections.Counter(s[0] for s in samples if s)
incl_c = collections.Counter()
for s in samples:
    for sym in set(s):
        incl_c[sym] += 1


def row(tag, cnt, sym):
    p = 100.0 * cnt / n
    print(f'   {tag} {p:6.2f}% {p * ns_per_io / 100:8.0f} ns  {sym}')


print(f'   ({n} samples)')
for sym, cnt in self_c.most_common(top):
    row('self', cnt, sym)
OURS = re.compile(r'^(ts_|zram_|zs_|zcomp|LZ4|lz4|submit_bio|__submit_bio|bio_|'
                  r'blk_|__blkdev|memcpy|memset|local_lock|__zram|zram)')
shown = 0
for sym, cnt in incl_c.most_common():
    if OURS.match(sym) and shown < top:
        row('incl', cnt, sym)
        shown += 1
for sym, _ in self_c.most_common(top):
    if not HELPER.search(sym):
        continue
    callers = collections.Counter()
    for s in samples:
        if s and s[0] == sym:
            callers[';'.join(reversed(s[1:4]))] += 1
    for c, cnt in callers.most_common(4):
        row('from', cnt, f'{sym} <- {c}')
