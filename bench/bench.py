#!/usr/bin/env python3
"""`make bench`: times dealcast against an independent numpy implementation and against the draw floor.

For every trial count (10^5, 10^6, 10^7 by default) and thread count (1 and all cores) it runs, each as a
child process on the embedded default scenario with every module:

- `dealcast run --trials N --threads T --quiet --format json`: wall time (perf_counter around the
  child), peak resident memory of the child (wait4's ru_maxrss), and the engine's own seconds
  (results.json `run.wall_seconds`: sampling and modules, without loading, binding or writing);
- `dealcast draw-floor --trials N --threads T`: the seconds to draw the same input variates with the same
  generator, seeds and threads, doing nothing else;
- `bench/numpy_reference.py --trials N --workers T`: the same model in vectorised numpy.

plus one `--sampling random` run at 10^6 trials on all cores. Below 10^7 trials each measurement is
repeated (`--repeat`, 3 by default), the three processes interleaved, and the table gives medians: of
each time, and of each ratio taken within one repetition. It prints a table as it goes and writes
bench/results/<YYYY-MM-DD>.md with the machine, the commit, the table and the targets of issue 8.
bench/README.md says what each number means. Python standard library only, besides
bench/numpy_reference.py (which needs numpy) when the numpy comparison is not skipped.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
FULL_TRIALS = (100_000, 1_000_000, 10_000_000)

# Issue 8's targets, on a 2-core machine.
TARGET_NUMPY_SPEEDUP = 5.0  # numpy wall / dealcast wall at 10^6 trials, all cores each, at least
TARGET_FLOOR_RATIO = 2.0  # dealcast wall / draw floor at 10^6 trials, all cores, at most
TARGET_RSS_1E6 = 1 << 30  # peak resident bytes at 10^6 trials, below
TARGET_RSS_1E7 = 4 << 30  # peak resident bytes at 10^7 trials, below
TARGET_SCALING = 11.0  # wall(10^7) / wall(10^6), at most
# Agreement with numpy: a metric disagrees when |z| exceeds the two-sided critical value of a test at
# family-wise level 1% over all compared metrics (Bonferroni), so that chance alone flags a metric in at
# most 1% of benches. z = (mean_dealcast − mean_numpy) / √(se_dealcast² + se_numpy²), computed by
# numpy_reference.compare; under Latin hypercube sampling dealcast's standard error is an upper bound,
# which makes the test conservative.
AGREEMENT_FAMILY_LEVEL = 0.01


@dataclass
class Child:
    """One finished child process: its wall seconds, its peak RSS in bytes, its exit status."""

    wall: float
    max_rss: int
    status: int
    stdout: str
    stderr: str


def median(xs):
    return statistics.median(xs) if xs else float("nan")


@dataclass
class Row:
    """One (trials, threads, sampling) measurement, repeated: one entry per repetition in each list."""

    trials: int
    threads: int
    sampling: str
    walls: list = field(default_factory=list)
    engines: list = field(default_factory=list)
    floors: list = field(default_factory=list)
    numpy_walls: list = field(default_factory=list)
    max_rss: int = 0
    variates: int = 0
    numpy_rss: int = 0
    results: dict = field(default_factory=dict, repr=False)
    numpy_json: dict = field(default_factory=dict, repr=False)

    @property
    def runs(self):
        return len(self.walls)

    @property
    def wall(self):
        return median(self.walls)

    @property
    def engine(self):
        return median(self.engines)

    @property
    def floor(self):
        return median(self.floors)

    @property
    def numpy_wall(self):
        return median(self.numpy_walls)

    @property
    def trials_per_second(self):
        return self.trials / self.wall

    # Ratios: the median over repetitions of the ratio within each, so that both sides of a ratio were
    # measured back to back, under the same load.
    @property
    def wall_over_floor(self):
        return median([w / f for w, f in zip(self.walls, self.floors)])

    @property
    def engine_over_floor(self):
        return median([e / f for e, f in zip(self.engines, self.floors)])

    @property
    def numpy_speedup(self):
        return median([n / w for n, w in zip(self.numpy_walls, self.walls)])


def run_child(argv, cwd=REPO):
    """Runs argv to completion; returns its wall time (perf_counter) and its own peak RSS (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # Linux reports ru_maxrss in kibibytes.
        return Child(wall, usage.ru_maxrss * 1024, proc.returncode, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"))


def check(child, what):
    if child.status != 0:
        sys.stderr.write(f"bench: {what} exited with status {child.status}\n{child.stderr}{child.stdout}")
        sys.exit(1)


def progress(message):
    sys.stderr.write(f"bench: {datetime.datetime.now():%H:%M:%S} {message}\n")
    sys.stderr.flush()


def parse_counts(text):
    """'1e5,1e6' → [100000, 1000000]."""
    counts = []
    for part in text.split(","):
        value = float(part)
        if value < 1 or value != int(value):
            raise argparse.ArgumentTypeError(f"not a positive whole count: {part!r}")
        counts.append(int(value))
    return counts


def measure(args, trials, threads, sampling, numpy_module, tmp):
    """Runs dealcast, the draw floor and (unless skipped) numpy at one (trials, threads), interleaved,
    `args.repeat` times below 10^7 trials and once at 10^7 or more."""
    row = Row(trials, threads, sampling)
    label = f"{count(trials)} trials, {threads_text(threads)}, {sampling}"
    repeats = args.repeat if trials < 10_000_000 else 1
    for r in range(repeats):
        run_label = label + (f", run {r + 1} of {repeats}" if repeats > 1 else "")
        progress(f"dealcast run ({run_label})")
        out_dir = Path(tmp) / f"run-{trials}-{threads}-{sampling}"
        child = run_child([args.dealcast, "run", "--trials", str(trials), "--threads", str(threads), "--sampling", sampling,
                           "--seed", str(args.seed), "--quiet", "--format", "json", "--out", str(out_dir)])
        check(child, "dealcast run")
        row.walls.append(child.wall)
        row.max_rss = max(row.max_rss, child.max_rss)
        row.results = json.loads((out_dir / "results.json").read_text())
        row.engines.append(float(row.results["run"]["wall_seconds"]))

        progress(f"draw floor ({run_label})")
        child = run_child([args.dealcast, "draw-floor", "--trials", str(trials), "--threads", str(threads),
                           "--seed", str(args.seed)])
        check(child, "dealcast draw-floor")
        floor = json.loads(child.stdout.strip().splitlines()[-1])
        row.floors.append(float(floor["seconds"]))
        row.variates = int(floor["variates"])

        if numpy_module is not None and sampling == "lhs":
            progress(f"numpy reference ({count(trials)} trials, {threads} worker{'s' if threads > 1 else ''}"
                     + (f", run {r + 1} of {repeats})" if repeats > 1 else ")"))
            numpy_out = Path(tmp) / f"numpy-{trials}-{threads}.json"
            child = run_child([sys.executable, str(BENCH_DIR / "numpy_reference.py"), "--trials", str(trials),
                               "--workers", str(threads), "--json", str(numpy_out)])
            check(child, "numpy_reference.py")
            row.numpy_walls.append(child.wall)
            row.numpy_rss = max(row.numpy_rss, child.max_rss)
            row.numpy_json = json.loads(numpy_out.read_text())
    return row


def count(n):
    """10^6 for a power of ten, else the number with thousands separators."""
    k = len(str(n)) - 1
    return f"10^{k}" if n == 10 ** k else f"{n:,}"


def fmt(value, digits=2):
    return "—" if value != value else f"{value:.{digits}f}"


def mib(n):
    return "—" if n == 0 else f"{n / (1 << 20):.0f}"


HEADER = ("trials", "threads", "sampling", "runs", "wall s", "engine s", "trials/s", "peak RSS MiB", "floor s",
          "wall/floor", "engine/floor", "numpy s", "numpy/dealcast")


def cells(row):
    return (count(row.trials), str(row.threads), row.sampling, str(row.runs), fmt(row.wall), fmt(row.engine),
            f"{row.trials_per_second:,.0f}", mib(row.max_rss), fmt(row.floor, 3), fmt(row.wall_over_floor),
            fmt(row.engine_over_floor), fmt(row.numpy_wall), fmt(row.numpy_speedup))


def markdown_table(rows):
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return lines


def print_row(row):
    widths = [max(len(h), 9) for h in HEADER]
    print("  ".join(c.rjust(w) for c, w in zip(cells(row), widths)), flush=True)


def agreement(numpy_module, results, numpy_json):
    """The z-scores of a dealcast results.json's headline means against numpy's, and the critical |z|."""
    scores = [(str(m), float(z)) for m, z in numpy_module.compare(results, numpy_json)]
    critical = statistics.NormalDist().inv_cdf(1 - AGREEMENT_FAMILY_LEVEL / (2 * max(1, len(scores))))
    return scores, critical


def shell(argv):
    try:
        return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine():
    """Facts about this machine and toolchain, as (name, value) pairs."""
    model = next((line.split(":", 1)[1].strip() for line in shell(["lscpu"]).splitlines()
                  if line.startswith("Model name")), platform.processor() or "unknown")
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / (1 << 20):.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    swift = shell(["swift", "--version"]).splitlines()
    try:
        import numpy
        numpy_version = numpy.__version__
    except ImportError:
        numpy_version = "not installed"
    return [("CPU", model), ("cores", str(os.cpu_count())), ("memory", mem), ("OS", f"{os_name}, kernel {platform.release()}"),
            ("Swift", swift[0] if swift else "unknown"), ("Python", platform.python_version()), ("numpy", numpy_version)]


def git_commit():
    commit = shell(["git", "rev-parse", "HEAD"]) or "unknown"
    dirty = shell(["git", "status", "--porcelain", "--untracked-files=no"])
    return commit + (" (with uncommitted changes)" if dirty else "")


def threads_text(n):
    return f"{n} thread{'s' if n > 1 else ''}"


def target_lines(rows, scores, critical, skipped_numpy):
    """Issue 8's targets, each as a markdown bullet saying met, not met or not measured."""
    all_cores = max(r.threads for r in rows)
    main = {(r.trials, r.threads): r for r in rows if r.sampling == "lhs"}

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    lines = []
    r6 = main.get((1_000_000, all_cores))
    if r6 and not skipped_numpy and r6.numpy_wall == r6.numpy_wall:
        lines.append(f"- numpy / dealcast wall at 10^6 trials, {threads_text(all_cores)} ≥ {TARGET_NUMPY_SPEEDUP:g}: "
                     f"{r6.numpy_speedup:.2f} — {verdict(r6.numpy_speedup >= TARGET_NUMPY_SPEEDUP)}")
    else:
        lines.append(f"- numpy / dealcast wall at 10^6 trials ≥ {TARGET_NUMPY_SPEEDUP:g}: not measured")
    if r6:
        lines.append(f"- dealcast wall / draw floor at 10^6 trials, {threads_text(all_cores)} ≤ {TARGET_FLOOR_RATIO:g}: "
                     f"{r6.wall_over_floor:.2f} (engine only: {r6.engine_over_floor:.2f}) — "
                     f"{verdict(r6.wall_over_floor <= TARGET_FLOOR_RATIO)}")
    else:
        lines.append(f"- dealcast wall / draw floor at 10^6 trials ≤ {TARGET_FLOOR_RATIO:g}: not measured")
    for n, limit in ((1_000_000, TARGET_RSS_1E6), (10_000_000, TARGET_RSS_1E7)):
        peak = max((r.max_rss for r in rows if r.trials == n), default=0)
        if peak:
            lines.append(f"- peak RSS at {count(n)} trials < {limit >> 30} GiB: {mib(peak)} MiB — {verdict(peak < limit)}")
        else:
            lines.append(f"- peak RSS at {count(n)} trials < {limit >> 30} GiB: not measured")
    for threads in sorted({r.threads for r in rows}):
        a, b = main.get((1_000_000, threads)), main.get((10_000_000, threads))
        if a and b:
            ratio = b.wall / a.wall
            lines.append(f"- wall(10^7) / wall(10^6), {threads_text(threads)} ≤ {TARGET_SCALING:g}: {ratio:.2f} — "
                         f"{verdict(ratio <= TARGET_SCALING)}")
    if not any(line.startswith("- wall(10^7)") for line in lines):
        lines.append(f"- wall(10^7) / wall(10^6) ≤ {TARGET_SCALING:g}: not measured")
    if scores:
        worst = max(scores, key=lambda s: abs(s[1]))
        bad = [s for s in scores if abs(s[1]) > critical]
        lines.append(f"- dealcast and numpy means agree (|z| ≤ {critical:.2f} for each of {len(scores)} metrics, "
                     f"family-wise level {AGREEMENT_FAMILY_LEVEL:.0%}): largest |z| {abs(worst[1]):.2f} "
                     f"({worst[0]}) — {verdict(not bad)}")
    else:
        lines.append("- dealcast and numpy means agree: not measured")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=parse_counts, default=list(FULL_TRIALS),
                        help="comma-separated trial counts (default 1e5,1e6,1e7)")
    parser.add_argument("--threads", type=parse_counts, default=None,
                        help=f"comma-separated thread counts (default 1,{os.cpu_count()}: one and all cores)")
    parser.add_argument("--skip-numpy", action="store_true", help="do not run the numpy reference")
    parser.add_argument("--quick", action="store_true",
                        help="check the driver: 10^5 trials on all cores only, no --sampling random row")
    parser.add_argument("--dealcast", default=str(REPO / ".build/release/dealcast"),
                        help="the dealcast executable (default .build/release/dealcast)")
    parser.add_argument("--seed", type=int, default=42, help="dealcast's seed (default 42)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of each measurement below 10^7 trials, medians reported (default 3)")
    parser.add_argument("--out", default=None,
                        help="the results file (default bench/results/<date>.md; <date>-partial.md when the "
                             "trial or thread counts are not the full set)")
    args = parser.parse_args()

    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    cores = os.cpu_count() or 1
    if args.quick:
        args.trials, args.threads = [100_000], [cores]
    threads = args.threads or sorted({1, cores})
    if not Path(args.dealcast).is_file():
        sys.exit(f"bench: {args.dealcast} not found; build it with `swift build -c release --product dealcast` "
                 f"(or run `make bench`), or pass --dealcast PATH")
    args.dealcast = str(Path(args.dealcast).resolve())

    numpy_module = None
    if not args.skip_numpy:
        sys.path.insert(0, str(BENCH_DIR))
        sys.dont_write_bytecode = True  # no bench/__pycache__ left in the checkout
        try:
            import numpy_reference as numpy_module
        except ImportError as e:
            sys.exit(f"bench: cannot import bench/numpy_reference.py ({e}); install numpy (`pip install numpy pyyaml`) "
                     f"or pass --skip-numpy")

    plan = [(n, t, "lhs") for n in args.trials for t in threads]
    if not args.quick and 1_000_000 in args.trials:
        plan.append((1_000_000, max(threads), "random"))
    started = datetime.datetime.now()
    load_before = os.getloadavg()
    progress(f"{len(plan)} measurements: {', '.join(f'{count(n)} × {t} {s}' for n, t, s in plan)}")
    print("  ".join(h.rjust(max(len(h), 9)) for h in HEADER), flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dealcast-bench-") as tmp:
        for n, t, s in plan:
            row = measure(args, n, t, s, numpy_module, tmp)
            rows.append(row)
            print_row(row)
    load_after = os.getloadavg()

    # Agreement at 10^6 trials on all cores, or at the largest count run, with numpy at the same count;
    # the --sampling random row too, when there is one (numpy draws its inputs independently, like it).
    scores, random_scores, critical, compared = [], {}, float("nan"), None
    if numpy_module is not None:
        lhs = [r for r in rows if r.sampling == "lhs" and r.numpy_json]
        preferred = [r for r in lhs if r.trials == 1_000_000] or [r for r in lhs if r.trials == max(x.trials for x in lhs)]
        compared = max(preferred, key=lambda r: r.threads)
        scores, critical = agreement(numpy_module, compared.results, compared.numpy_json)
        random_row = next((r for r in rows if r.sampling == "random" and r.trials == compared.trials), None)
        if random_row:
            random_scores = dict(agreement(numpy_module, random_row.results, compared.numpy_json)[0])
        print(f"\nAgreement with numpy at {count(compared.trials)} trials (critical |z| {critical:.2f}):")
        for metric, z in scores:
            extra = f"   (random: {random_scores[metric]:+.2f})" if metric in random_scores else ""
            print(f"  {metric:48s} z = {z:+.2f}{'  DISAGREES' if abs(z) > critical else ''}{extra}")

    targets = target_lines(rows, scores, critical, numpy_module is None)
    print("\nTargets (issue 8):")
    print("\n".join(targets))

    full = sorted(args.trials) == list(FULL_TRIALS) and threads == sorted({1, cores}) and not args.quick
    out = Path(args.out) if args.out else BENCH_DIR / "results" / f"{started:%Y-%m-%d}{'' if full else '-partial'}.md"
    command = "python3 bench/bench.py" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    lines = [f"# Benchmark, {started:%Y-%m-%d %H:%M}", ""]
    if not full:
        lines += ["Partial run: not every trial and thread count of the full bench (10^5, 10^6, 10^7 trials on 1 "
                  "thread and on all cores).", ""]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine()]
    lines += [f"| load average before | {' / '.join(f'{x:.2f}' for x in load_before)} (1 / 5 / 15 min) |",
              f"| load average after | {' / '.join(f'{x:.2f}' for x in load_after)} |",
              f"| git commit | {git_commit()} |", "",
              "## Results", "",
              "Default scenario, every module, seed " + str(args.seed) + ", taus2. wall: the dealcast process, start to exit; "
              "engine: results.json `run.wall_seconds`; floor: `dealcast draw-floor` seconds; numpy: "
              "bench/numpy_reference.py's process, start to exit, with as many workers as dealcast has threads. "
              "runs: repetitions, interleaved; times are medians, ratios medians of the ratios within a repetition, "
              "peak RSS the largest. bench/README.md explains each column.", ""]
    lines += markdown_table(rows)
    lines += ["", "## Targets (issue 8)", ""] + targets
    if scores:
        lines += ["", f"## Agreement with numpy ({count(compared.trials)} trials, {compared.threads} threads)", "",
                  f"z = (dealcast mean − numpy mean) / √(se² + se²); critical |z| {critical:.2f} (bench/README.md).", "",
                  "| metric | z (lhs) | z (random) |", "|---|---|---|"]
        for m, z in scores:
            other = f"{random_scores[m]:+.2f}" if m in random_scores else "—"
            lines.append(f"| {m} | {z:+.2f}{' (disagrees)' if abs(z) > critical else ''} | {other} |")
    lines += ["", "## Command", "", "```sh", command, "```", ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    progress(f"wrote {out} ({(datetime.datetime.now() - started).total_seconds():.0f} s in all)")


if __name__ == "__main__":
    main()
