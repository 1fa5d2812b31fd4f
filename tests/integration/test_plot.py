#!/usr/bin/env python3
"""`sockbench plot` and `sockbench lesson --quick`: real sweeps, real figures.

Each lesson runs its --quick sweep (each run in its own network
namespace) and plots it; the test checks every PNG (1280x720, by its IHDR
header) and SVG exists, that index.html shows each figure, and that the
captions carry the numbers of the lesson's own run files. Then gnuplot is
taken off PATH: plot must exit 1 naming it, with the data files written.
"""
import argparse, glob, json, os, re, shutil, statistics, struct, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default=os.environ.get("SOCKBENCH_BIN", "build/sockbench"))
ap.add_argument("--lessons", default="backlog,somaxconn,models,recv-size,send,thundering-herd,ports")
args = ap.parse_args()
BIN = os.path.abspath(args.bin)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from figlib import Checks, png_size, runs_of  # noqa: E402

CK = Checks()
check = CK.check


# What each lesson must draw (SPEC section 8 figures that fit its axes).
EXPECT = {
    "backlog": ["connect_cdf", "established", "overflows", "accept_queue"],
    "somaxconn": ["connect_cdf", "established", "overflows", "accept_queue"],
    "models": ["models", "tail", "fairness"],
    "recv-size": ["recv_size"],
    "send": ["send"],
    "thundering-herd": ["herd"],
    "ports": ["ports"],
}

tmp = tempfile.mkdtemp(prefix="sockbench-plot-")
try:
    for lesson in args.lessons.split(","):
        print(f"RUN  lesson {lesson} --quick")
        out = os.path.join(tmp, lesson)
        t0 = time.monotonic()
        p = subprocess.run([BIN, "lesson", lesson, "--quick", "--out", out],
                           capture_output=True, text=True, timeout=120)
        took = time.monotonic() - t0
        check(p.returncode == 0, f"{lesson}: exit status", 0,
              f"{p.returncode}: {p.stderr.strip()[-400:]}")
        check(took < 20, f"{lesson}: --quick duration", "< 20 s", f"{took:.1f} s")
        html = open(os.path.join(out, "plots", "index.html")).read() \
            if os.path.exists(os.path.join(out, "plots", "index.html")) else ""
        for fig in EXPECT[lesson]:
            png = os.path.join(out, "plots", fig + ".png")
            svg = os.path.join(out, "plots", fig + ".svg")
            check(os.path.exists(png) and png_size(png) == (1280, 720),
                  f"{lesson}: {fig}.png is a 1280x720 PNG", (1280, 720),
                  png_size(png) if os.path.exists(png) else "missing")
            check(os.path.exists(svg) and "<svg" in open(svg).read(2000),
                  f"{lesson}: {fig}.svg", "an SVG file", os.path.exists(svg))
            check(f'src="{fig}.png"' in html, f"{lesson}: index.html shows {fig}",
                  "an <img> for it", "absent")
        # a lesson of cases (send: the C servers, then Python's) keeps a
        # sweep per case in out/<case>: the first is the one checked here
        base, prefix = out, ""
        if not os.path.exists(os.path.join(out, "sweep.json")) and lesson == "send":
            base, prefix = os.path.join(out, "c"), "c "
        runs = runs_of(base)
        # The lesson's question, answer and caveat open index.html (copied
        # by the sweep into sweep.json "lesson").
        src = os.path.join(os.path.dirname(os.path.dirname(BIN)), "scripts", "lessons",
                           lesson + ".json")
        words = json.load(open(src)) if os.path.exists(src) else {}
        sweep = json.load(open(os.path.join(base, "sweep.json")))
        for key in ("question", "answer", "caveat"):
            if key in words:
                check(sweep.get("lesson", {}).get(key) == words[key],
                      f"{lesson}: sweep.json lesson.{key}", words[key][:40],
                      sweep.get("lesson", {}).get(key))
                esc = words[key].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
                    .replace('"', "&quot;")
                check(esc in html and html.index(esc) < html.find("<figure"),
                      f"{lesson}: index.html opens with the {key}", words[key][:40], html[:300])
        # No legend reads "all": a single series is named for its server.
        for par in glob.glob(os.path.join(out, "plots", "data", "*-params.gp")):
            check("TITLES[1] = 'all'" not in open(par).read(), f"{lesson}: {par}: no 'all' series",
                  "a named series", "all")
        # Captions computed from the data, checked against the run files.
        if lesson == "backlog":
            r = [x for x in runs if x["sweep"]["values"]["backlog"] == "1"][0]
            est = r["load"]["connections"]["established"]
            fast = sum(c for up, c in r["load"]["connections"]["latency_us"]["histogram"]["buckets"]
                       if up < 900_000_000)
            check(f"backlog=1: {fast} connections completed at once" in p.stdout,
                  "backlog caption: connections completed at once", fast, p.stdout[-600:])
            # The kernel's fact: the accept queue never held more than
            # backlog + 1.  The SYNs that found room at once are those 2
            # plus one per accept() the 20 ms acceptor made while the 60
            # connects were still going out: none on an idle machine, a
            # few when the generator's core is busy (seen: 3 with a fuzzer
            # on the other core).  A burst longer than 100 ms (5 accepts)
            # would be a broken generator.
            # (max_seen is sampled every 10 ms and the queue is full only
            # for the ~10 ms after each burst, so the test asks "never
            # above", not "seen at".)
            aq = r.get("accept_queue") or {}
            check(aq.get("max_seen") in (1, 2), "backlog 1: the queue held backlog + 1 at most",
                  "1 or 2", aq.get("max_seen"))
            check(2 <= fast <= 7, "backlog 1: connected at once (backlog + 1, + an accept per "
                  "20 ms of the connect burst)", "2 to 7", fast)
            check(est >= fast, "established includes the retried ones", f">= {fast}", est)
        if lesson == "somaxconn":
            for r in runs:
                v = r["sweep"]["values"]
                want = min(int(v["backlog"]), int(v["somaxconn"])) + 1
                check(r["load"]["connections"]["established"] == want,
                      f"somaxconn {v['somaxconn']} backlog {v['backlog']}: established",
                      want, r["load"]["connections"]["established"])
            big = [r for r in runs if r["sweep"]["values"]["backlog"] == "1024"]
            for r in big:
                s = r["sweep"]["values"]["somaxconn"]
                phrase = f"somaxconn={s}: {int(s) + 1} at backlog 1024"
                check(phrase in p.stdout, "somaxconn caption names the clamp", phrase,
                      [l for l in p.stdout.splitlines() if "established" in l])
        if lesson == "models":
            m = re.search(r"^  models: .*", p.stdout, re.M)
            fair = re.search(r"^  fairness: .*", p.stdout, re.M)
            # Captions give the median over a cell's repeats.
            med = lambda xs: statistics.median(xs)
            p99 = {}
            at10 = {}
            for r in runs:
                if r["sweep"]["values"]["conns"] == "10":
                    at10.setdefault(r["sweep"]["values"]["models"], []).append(r)
            for model, rs in at10.items():
                rps = med([r["load"]["throughput"]["requests_per_s"] for r in rs])
                check(m and f"{model}: {rps:.0f}/s at conns 10" in m.group(0),
                      f"models caption carries {model}'s req/s (median of {len(rs)})",
                      f"{rps:.0f}/s", m.group(0) if m else None)
                c = {k: med([r["load"]["connections"][k] for r in rs]) for k in ("served", "starved")}
                jain = med([r["load"]["fairness"]["jain"] for r in rs])
                served = f"{model}: {c['served']:g} of 10 (Jain {jain:.2f})"
                check(fair and served in fair.group(0),
                      f"fairness caption carries {model}'s clients served", served,
                      fair.group(0) if fair else None)
                p99[model] = med([r["load"]["requests"]["latency_us"]["p99"] for r in rs])
                if c["starved"]:
                    note = f"{model}: {c['starved']:g} of 10 at conns 10"
                    check(m and note in m.group(0), "models caption names the starved "
                          "clients (open circles)", note, m.group(0) if m else None)
            # Repeats: every cell ran `repeat` times, and the data files carry
            # min and max over them (the error bars).
            rep = sweep["repeat"]
            check(rep >= 2 and len(runs) == sweep["cells"] * rep, "models: every cell repeated",
                  f"{sweep['cells']} x {rep}", len(runs))
            rows = [l.split() for l in open(os.path.join(out, "plots", "data", "models-0.dat"))
                    if not l.startswith("#")]
            check(all(float(a[2]) <= float(a[1]) <= float(a[3]) for a in rows),
                  "models data: min <= median <= max", "ordered", rows)
            # The blocking server serves one client of ten: its p99 counts
            # the nine that waited, and no longer ranks best.
            check(p99.get("blocking", 0) > max(x for k, x in p99.items() if k != "blocking"),
                  "p99 at conns 10: blocking (nine clients waiting) above every other model",
                  "the highest", p99)
        if lesson == "recv-size":
            size = lambda v: int(v[:-1]) * {"k": 1024, "M": 1 << 20}[v[-1]] if v[-1] in "kM" else int(v)
            mb = {size(r["sweep"]["values"]["recv_size"]):
                  r["load"]["throughput"]["bytes_per_s"] / 1e6 for r in runs
                  if r["sweep"]["values"].get("models", "epoll") == "epoll"}
            check(mb[65536] > mb[64] * 3, "recv 64 KiB streams much faster than 64 B",
                  f"> 3 x {mb[64]:.1f} MB/s", f"{mb[65536]:.1f} MB/s")
            cap = re.search(r"^  recv_size: .*", p.stdout, re.M)
            phrase = f"epoll: {mb[64]:.0f} MB/s at 64 B, {mb[65536]:.0f} MB/s at 64 KiB"
            check(cap and phrase in cap.group(0), "recv-size caption: the trend, from the run",
                  phrase, cap.group(0) if cap else None)
            calls = {size(r["sweep"]["values"]["recv_size"]): r["server"]["recv_calls"] for r in runs}
            check(calls[64] > calls[65536], "more recv() calls at 64 B than at 64 KiB",
                  f"> {calls[65536]}", calls[64])
        if lesson == "send":
            # Replies lost vs connections that waited (server.peak_connections
            # below --conns: served one at a time): the caption's numbers.
            cap = re.search(r"^  send: .*", p.stdout, re.M)
            cap = cap.group(0) if cap else ""
            for r in runs:
                v, e = r["sweep"]["values"], r["load"]["errors"]
                waited = min(r["load"]["connections"]["starved"],
                             max(0, r["config"]["load"]["conns"] - r["server"]["peak_connections"]))
                lost = max(0, e.get("short_reply", 0) + e.get("integrity_error", 0) +
                           e.get("request_timeout", 0) - waited)
                ok = r["load"]["requests"]["completed"]
                name = prefix + (f"{v['models']},{v['send']}" if "models" in v and len(
                    {x["sweep"]["values"].get("models") for x in runs}) > 1 else v["send"])
                if lost and v["resp_size"] in ("4M", "4194304"):
                    phrase = f"{name} from 4M replies on ({100 * ok / (ok + lost):.0f}% arrived whole at 4M)"
                    check(phrase in cap, "send caption: replies lost, from the run", phrase, cap)
                if v["send"] == "sendall":
                    check(lost == 0, f"{name} {v['resp_size']}: no reply lost", 0, lost)
            dat = open(os.path.join(out, "plots", "data", "send-0.dat")).read().split("\n")[1:]
            check(all(len(l.split()) == 7 for l in dat if l), "send data: 7 columns (lost, waited)",
                  7, dat[:2])
            big = [r for r in runs if r["sweep"]["values"]["resp_size"] in ("4M", "4194304")]
            by = {r["sweep"]["values"]["send"]: r for r in big}
            check(by["send"]["server"]["short_sends"] > 0, "send: short sends on 4 MiB replies",
                  "> 0", by["send"]["server"]["short_sends"])
            check(by["sendall"]["server"]["short_sends"] == 0 and
                  not by["sendall"]["load"]["errors"], "sendall: no short sends, no errors",
                  "0 and {}", (by["sendall"]["server"]["short_sends"], by["sendall"]["load"]["errors"]))
        if lesson == "thundering-herd":
            by = {r["sweep"]["values"]["accept_mode"]: r for r in runs}
            empty = {m: sum(w["empty_wakeups"] for w in r["server"]["workers"]) for m, r in by.items()}
            check(empty["reuseport"] == 0, "reuseport: no empty wake-ups", 0, empty["reuseport"])
            check(empty["shared"] > 0, "shared listen socket: empty wake-ups (the herd)", "> 0",
                  empty["shared"])
            for m, r in by.items():
                acc = [w["accepts"] for w in r["server"]["workers"]]
                per = empty[m] / sum(acc)
                fmt = lambda n: f"{n:,}"
                phrase = f"{m} {per:.2f} empty wake-ups per accept, {fmt(min(acc))} to " \
                    f"{fmt(max(acc))} accepts per worker"
                check(phrase in p.stdout, f"herd caption: {m}'s numbers from the run", phrase,
                      p.stdout[-700:])
            check("every worker wakes" not in p.stdout.lower(), "herd caption claims no more "
                  "than was measured", "no 'every worker wakes'", p.stdout[-500:])
        if lesson == "ports":
            for r in runs:
                n = int(r["sweep"]["values"]["conns"])
                e = r["load"]["errors"].get("EADDRNOTAVAIL", 0)
                check((e > 0) == (n > 1000), f"{n} conns over 1000 ports: EADDRNOTAVAIL",
                      "> 0" if n > 1000 else 0, e)
        print(f"{'PASS' if not CK.failed else 'DONE'} lesson {lesson} ({took:.1f}s)")

    # gnuplot missing: a clear message, exit 1, data files still there.
    print("RUN  plot without gnuplot")
    src = os.path.join(tmp, [l for l in args.lessons.split(",") if l != "send"][0])
    shutil.rmtree(os.path.join(src, "plots"), ignore_errors=True)
    env = dict(os.environ, PATH="/nonexistent")
    p = subprocess.run([BIN, "plot", src], capture_output=True, text=True, timeout=60, env=env)
    check(p.returncode == 1, "plot without gnuplot: exit status", 1, p.returncode)
    check("gnuplot" in p.stderr and p.stderr.count("\n") == 1,
          "one message naming gnuplot", "1 line", p.stderr)
    dats = glob.glob(os.path.join(src, "plots", "data", "*.dat"))
    check(len(dats) > 0, "data files written without gnuplot", "> 0", len(dats))
    check(not glob.glob(os.path.join(src, "plots", "*.png")), "no PNG without gnuplot", [], "PNGs")
    p = subprocess.run([BIN, "plot", os.path.join(tmp, "nonexistent")], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 1 and p.stderr.count("\n") == 1, "plot of a missing directory",
          "exit 1, one line", (p.returncode, p.stderr))
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"{CK.passed} passed, {CK.failed} failed")
sys.exit(1 if CK.failed else 0)
