"""Plan speed: each shipped stack's offline plan beside a floor, and how the plan grows.

    python -m tools.bench [--runs 7] [--quick] [--write]     (make bench BENCH_ARGS=--write)
    python -m tools.bench --cost [--runs 15]                  (the cost table's share of the dev plan)
    python -m tools.bench --phases [--runs 7]                 (what the dev and prod plans add to their floors)
    python -m tools.bench --suite [--runs 3] [--write]      (make bench BENCH_ARGS="--suite --write")

Every number is a whole process, started fresh (``subprocess``), as a developer or CI runs
``make plan``; the median of ``--runs`` runs is shown. Plan and floor runs alternate, so a
busy machine slows both alike.

- **floor**: a bare interpreter that imports pulumi, touches exactly the azure-native resource
  classes the plan registered (read from a probe run of the same stack) and leaves with
  ``os._exit``, as the plan CLI does. No program can plan faster than loading the classes it
  registers; a module loaded for nothing (an enum read at import time, say) shows up as
  plan time, not floor time. The target: dev and prod within 1.2x of it.
- **what the plan adds**: the dev and prod plans' phases beyond the floor (pydantic, the config
  models, the program's other modules, the run under the mocks, the document), timed in one
  process, and the ratio the plan would have with the program's own modules at zero cost: how
  far a change to them could take it (``--phases`` alone).
- **cost table**: the dev plan with its "Monthly cost at most" table and with ``--no-cost``,
  alternating; the table (pricing every resource from the snapshot and printing it) should add
  under 5 % (``--cost`` measures this alone).
- **growth**: generated stack files (the dev stack with 1..200 datastores, or 1..50 compute
  clusters) planned with ``--stack-file``, with time and peak memory (``os.wait4``'s rusage
  of the child) per size, and the cost of each added entry and resource between sizes: flat
  means the total grows linearly.

``--suite`` times the test suite instead: ``make test`` as a developer runs it (both venvs
already installed), ``--runs`` times, each run's wall time and the median.

Not a test: timings depend on the machine. ``--write`` puts the results, with the machine
they came from, between the markers in docs/benchmarks.md (the plan's or the suite's).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from tools.harness import ROOT

TARGET_RATIO = 1.2
COST_TARGET = 0.05  # what the cost table may add to the dev plan
TARGET_STACKS = ("dev", "prod")
BENCH_DOC = ROOT / "docs" / "benchmarks.md"
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")
SUITE_MARKERS = ("<!-- suite:start -->", "<!-- suite:end -->")
PLAN_RUNS = 7
SUITE_RUNS = 3
DATASTORE_SIZES = (1, 10, 50, 200)
COMPUTE_SIZES = (1, 10, 50)

# Runs the plan in-process and reports what the floor must load: the resource types it
# registered, and the azure-native modules it loaded beyond theirs (a lazy module not yet used
# is still a pulumi._utils._LazyModule, a loaded one a plain module), to name what the plan
# loads for nothing.
_PROBE = r"""
import json, sys, types
from pathlib import Path
from tools.plan import make_plan
run, doc = make_plan(Path(sys.argv[1]))
if doc is None:
    print(run.error, file=sys.stderr)
    sys.exit(2)
types_ = sorted({r.type for r in run.registrations if r.custom and r.type.startswith("azure-native:")})
loaded = {
    name.split(".")[1] for name, module in list(sys.modules.items())
    if name.count(".") == 1 and name.startswith("pulumi_azure_native.") and type(module) is types.ModuleType
}
print(json.dumps({
    "types": types_,
    "unused_modules": sorted(loaded - {t.split(":")[1] for t in types_} - {"config"}),
    "resources": len(run.registrations),
}))
"""

# pulumi, exactly the registered classes, and out the way the plan CLI leaves (os._exit).
_FLOOR = r"""
import importlib, os, sys
import pulumi
for token in sys.argv[1].split(","):
    _, name, cls = token.split(":")
    getattr(importlib.import_module("pulumi_azure_native." + name), cls)
os._exit(0)
"""

# The plan's phases in one fresh process, CPU seconds each (time.process_time), in the order the
# plan meets them, after loading pulumi and the registered classes (the floor's work): pydantic,
# the config models, the rest of the plan's modules (deployment specs, resolve, components, the
# plan CLI), the run under the mocks (the SDK registering every resource) and the document with
# its cost table. The collector is paused throughout, as in the plan (the CLI pauses it, and the
# harness during the run, where the program's modules load); so the classes load faster here
# than in the floor's process, which is why the floor is taken from its own runs, not from here.
_PHASES = r"""
import gc, importlib, json, sys, time
from pathlib import Path
gc.disable()
import pulumi
for token in sys.argv[2].split(","):
    _, name, cls = token.split(":")
    getattr(importlib.import_module("pulumi_azure_native." + name), cls)
marks = [("classes", time.process_time())]
from pydantic import BaseModel  # pydantic loads lazily: its model machinery comes with BaseModel
marks.append(("pydantic", time.process_time()))
import azureml_infra.config
marks.append(("config", time.process_time()))
import azureml_infra.resolve, azureml_package.recipe, tools.plan
marks.append(("modules", time.process_time()))
run = tools.plan.plan_stack_file(Path(sys.argv[1]))
marks.append(("run", time.process_time()))
run, doc = tools.plan.make_plan(Path(sys.argv[1]), run)
text = tools.plan.render_text(tools.plan.add_cost(doc, run))
marks.append(("document", time.process_time()))
print(json.dumps({name: t - prev for (_, prev), (name, t) in zip(marks, marks[1:])}))
"""
PHASES = {
    "pydantic": "pydantic",
    "config": "the config models (azureml_infra.config)",
    "modules": "the rest of the plan's modules (specs, resolve, components, plan CLI)",
    "run": "the run under the mocks (the SDK registering each resource)",
    "document": "the plan document and its cost table",
}
OWN_PHASES = ("config", "modules")  # the program's own code; pydantic and the SDK are not

@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    max_rss_mb: float


def run_once(argv: list[str]) -> Sample:
    """One fresh process, timed from spawn to exit; rusage of that child alone (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    error = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{error}")
    # ru_maxrss is in kilobytes on Linux.
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


@dataclass(frozen=True)
class Stats:
    wall: float
    cpu: float
    max_rss_mb: float
    runs: int

    @classmethod
    def of(cls, samples: list[Sample]) -> Stats:
        return cls(
            statistics.median(s.wall for s in samples),
            statistics.median(s.cpu for s in samples),
            max(s.max_rss_mb for s in samples),
            len(samples),
        )


def probe(stack_file: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(stack_file)], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(f"planning {stack_file} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def plan_argv(stack_file: Path) -> list[str]:
    return [sys.executable, "-m", "tools.plan", "--stack-file", str(stack_file)]


def floor_argv(found: dict) -> list[str]:
    return [sys.executable, "-c", _FLOOR, ",".join(found["types"])]


def interleaved(argvs: list[list[str]], runs: int) -> list[Stats]:
    """Each command ``runs`` times, taking turns (order reversed every other round).

    One unmeasured run of each first, so that no command pays for a cold file cache.
    """
    for argv in argvs:
        run_once(argv)
    samples: list[list[Sample]] = [[] for _ in argvs]
    for i in range(runs):
        order = list(range(len(argvs)))
        for j in order if i % 2 == 0 else order[::-1]:
            samples[j].append(run_once(argvs[j]))
    return [Stats.of(s) for s in samples]


# --- generated stacks ------------------------------------------------------------------


def _base_config() -> dict:
    """The dev stack's config without computes and data: the growth series add their own."""
    import yaml

    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    for key in ("computes", "computeInstances", "dataStorage", "datastores"):
        config.pop(f"azureml-infra:{key}", None)
    return config


def compute_entry(i: int) -> dict:
    return {"name": f"cpu{i:03d}", "vmSize": "STANDARD_D3_V2", "minNodes": 0, "maxNodes": 2}


def with_computes(n: int) -> dict:
    config = _base_config()
    config["azureml-infra:computes"] = [compute_entry(i) for i in range(1, n + 1)]
    return config


def with_datastores(n: int) -> dict:
    """A data lake with one container per datastore, each reached by the workspace's identity."""
    config = _base_config()
    containers = [f"data{i:03d}" for i in range(1, n + 1)]
    config["azureml-infra:dataStorage"] = {"hierarchicalNamespace": True, "containers": containers}
    config["azureml-infra:datastores"] = [
        {"name": f"ds{i:03d}", "kind": "adlsGen2", "accountName": "dataStorage", "container": c}
        for i, c in enumerate(containers, start=1)
    ]
    return config


def write_stack(directory: Path, name: str, config: dict) -> Path:
    import yaml

    path = directory / f"Pulumi.{name}.yaml"
    # environment: a generated stack name is not a valid environment name.
    config = {**copy.deepcopy(config), "azureml-infra:environment": "bench"}
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


# --- report ----------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or cpu
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("pulumi", "pulumi-azure-native", "pydantic"))
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}; Python {platform.python_version()} on "
        f"{platform.system()} {platform.release()}; {versions}"
    )


def shipped_stacks() -> list[Path]:
    return sorted(ROOT.glob("Pulumi.*.yaml"), key=lambda p: (p.name != "Pulumi.dev.yaml", p.name))


def baseline_table(runs: int, log) -> tuple[list[str], dict[str, float], dict[str, tuple[float, float]]]:
    rows = [
        "| stack | registrations | classes | plan (s) | floor (s) | plan / floor | plan CPU (s) | floor CPU (s) "
        "| plan peak RSS (MB) | modules loaded beyond the classes' |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    ratios: dict[str, float] = {}
    cpu: dict[str, tuple[float, float]] = {}
    for path in shipped_stacks():
        stack = path.name.split(".")[1]
        found = probe(path)
        log(f"{stack}: {found['resources']} resources of {len(found['types'])} classes")
        plan, floor = interleaved([plan_argv(path), floor_argv(found)], runs)
        ratios[stack] = plan.wall / floor.wall
        cpu[stack] = (plan.cpu, floor.cpu)
        rows.append(
            f"| {stack} | {found['resources']} | {len(found['types'])} | {plan.wall:.2f} | {floor.wall:.2f} "
            f"| {ratios[stack]:.2f} | {plan.cpu:.2f} | {floor.cpu:.2f} | {plan.max_rss_mb:.0f} "
            f"| {', '.join(found['unused_modules']) or 'none'} |"
        )
        log(rows[-1])
    return rows, ratios, cpu


def phases_table(runs: int, log, cpu: dict[str, tuple[float, float]] | None = None) -> list[str]:
    """Where the target stacks' plans spend their CPU beyond the floor (medians of ``runs`` fresh
    processes), and what the ratio would be if the program's own modules (config models, specs,
    components) cost nothing: (plan CPU - their phases) / floor CPU. No change to those modules
    can take a plan below that. ``cpu``: each stack's (plan, floor) CPU, measured if not given."""
    medians: dict[str, dict[str, float]] = {}
    cpu = dict(cpu or {})
    for stack in TARGET_STACKS:
        path = ROOT / f"Pulumi.{stack}.yaml"
        found = probe(path)
        if stack not in cpu:
            plan, floor = interleaved([plan_argv(path), floor_argv(found)], runs)
            cpu[stack] = (plan.cpu, floor.cpu)
        argv = [sys.executable, "-c", _PHASES, str(path), ",".join(found["types"])]
        samples = [
            json.loads(subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
            for _ in range(runs)
        ]
        medians[stack] = {key: statistics.median(s[key] for s in samples) for key in PHASES}
    rows = [
        "| CPU (s) | " + " | ".join(TARGET_STACKS) + " |",
        "|---|" + "---:|" * len(TARGET_STACKS),
        "| floor (its own process) | " + " | ".join(f"{cpu[n][1]:.2f}" for n in TARGET_STACKS) + " |",
        *(f"| + {label} | " + " | ".join(f"{medians[n][key]:.3f}" for n in TARGET_STACKS) + " |"
          for key, label in PHASES.items()),
        "| plan (its own process) | " + " | ".join(f"{cpu[n][0]:.2f}" for n in TARGET_STACKS) + " |",
        "",
    ]
    for stack in TARGET_STACKS:
        plan_cpu, floor_cpu = cpu[stack]
        own = sum(medians[stack][key] for key in OWN_PHASES)
        rows.append(
            f"{stack}: the program's own modules take {own:.2f} s of the plan's {plan_cpu:.2f} s CPU; with them at "
            f"zero the plan would be {(plan_cpu - own) / floor_cpu:.2f}x its floor ({plan_cpu / floor_cpu:.2f}x now)."
        )
    for row in rows:
        log(row)
    return rows

# The dev plan in-process, then its cost table alone (tools.plan imports azureml_infra.cost only
# there, so the time includes loading it and the snapshot): CPU and wall milliseconds of each.
_COST_PROBE = r"""
import json, sys, time
c0, w0 = time.process_time(), time.perf_counter()
from pathlib import Path
from tools.plan import add_cost, make_plan, render_text
run, doc = make_plan(Path(sys.argv[1]))
render_text(doc)
c1, w1 = time.process_time(), time.perf_counter()
render_text(add_cost(doc, run))
c2, w2 = time.process_time(), time.perf_counter()
print(json.dumps({"plan_cpu": c1 - c0, "plan_wall": w1 - w0, "cost_cpu": c2 - c1, "cost_wall": w2 - w1}))
"""


def cost_in_process(runs: int) -> dict[str, float]:
    """Medians over ``runs`` fresh processes of the plan's time and the table's alone."""
    found = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _COST_PROBE, str(ROOT / "Pulumi.dev.yaml")], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        found.append(json.loads(out.stdout))
    return {key: statistics.median(f[key] for f in found) for key in found[0]}


def cost_table(runs: int, log) -> list[str]:
    """The dev plan with its cost table and without it (``--no-cost``), taking turns: medians, and the
    fastest runs (on a shared machine the least disturbed, so the closest to what the table costs)."""
    dev = ROOT / "Pulumi.dev.yaml"
    argvs = [plan_argv(dev), [*plan_argv(dev), "--no-cost"]]
    for argv in argvs:
        run_once(argv)
    samples: list[list[Sample]] = [[], []]
    for i in range(runs):
        for j in (0, 1) if i % 2 == 0 else (1, 0):
            samples[j].append(run_once(argvs[j]))
    with_table, without = (Stats.of(s) for s in samples)
    fastest = [min(s.wall for s in runs_) for runs_ in samples]
    fastest_cpu = [min(s.cpu for s in runs_) for runs_ in samples]
    share = with_table.wall / without.wall - 1
    rows = [
        "| dev plan | wall, median (s) | CPU, median (s) | wall, fastest (s) | CPU, fastest (s) |",
        "|---|---:|---:|---:|---:|",
        f"| with the cost table | {with_table.wall:.3f} | {with_table.cpu:.3f} | {fastest[0]:.3f} | {fastest_cpu[0]:.3f} |",
        f"| `--no-cost` | {without.wall:.3f} | {without.cpu:.3f} | {fastest[1]:.3f} | {fastest_cpu[1]:.3f} |",
        "",
        f"Taking turns, the cost table adds {100 * (with_table.cpu / without.cpu - 1):+.1f} % CPU to the dev plan "
        f"({100 * (fastest_cpu[0] / fastest_cpu[1] - 1):+.1f} % in the fastest runs) and {100 * share:+.1f} % wall "
        f"({100 * (fastest[0] / fastest[1] - 1):+.1f} %); wall time is the noisier on a shared machine.",
    ]
    # Two processes' noise on a shared machine can exceed what the table costs: time it inside one.
    inside = cost_in_process(runs)
    inside_share = inside["cost_cpu"] / inside["plan_cpu"]
    rows += [
        "",
        f"Inside one process (median of {runs}): the table takes {1000 * inside['cost_cpu']:.1f} ms CPU "
        f"({1000 * inside['cost_wall']:.1f} ms wall), loading its modules and the snapshot included, after a plan of "
        f"{1000 * inside['plan_cpu']:.0f} ms CPU: {100 * inside_share:.1f} %, "
        f"{'within' if inside_share < COST_TARGET else 'over'} the {100 * COST_TARGET:.0f} % target.",
    ]
    for row in rows:
        log(row)
    return rows


def growth_table(series: str, sizes: tuple[int, ...], make, runs: int, log) -> list[str]:
    """Every size planned ``runs`` times, the sizes taking turns, so a busy spell hits all alike."""
    rows = [
        f"| {series} | registrations | plan (s) | CPU (s) | peak RSS (MB) | ms per added {series[:-1]} "
        "| ms per added registration | MB per added registration |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        paths = [write_stack(Path(tmp), f"{series}{n}", make(n)) for n in sizes]
        counts = [probe(path)["resources"] for path in paths]
        all_stats = interleaved([plan_argv(path) for path in paths], runs)
    previous: tuple[int, int, Stats] | None = None
    for n, registrations, stats in zip(sizes, counts, all_stats, strict=True):
        marginal = ["", "", ""]
        if previous is not None:
            n0, r0, s0 = previous
            marginal = [
                f"{1000 * (stats.wall - s0.wall) / (n - n0):.1f}",
                f"{1000 * (stats.wall - s0.wall) / max(1, registrations - r0):.1f}",
                f"{(stats.max_rss_mb - s0.max_rss_mb) / max(1, registrations - r0):.2f}",
            ]
        rows.append(
            f"| {n} | {registrations} | {stats.wall:.2f} | {stats.cpu:.2f} | {stats.max_rss_mb:.0f} | "
            + " | ".join(marginal)
            + " |"
        )
        log(rows[-1])
        previous = (n, registrations, stats)
    rows += ["", linear_fit([(r, st.wall) for r, st in zip(counts, all_stats, strict=True)])]
    return rows


def linear_fit(points: list[tuple[int, float]]) -> str:
    """Least squares time = a + b * registrations, and how far the worst size is from it."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    if len(set(xs)) < 2:
        return ""
    slope, intercept = statistics.linear_regression(xs, ys)
    worst = max(abs(y - (intercept + slope * x)) / y for x, y in points)
    return (
        f"Linear fit: {intercept:.2f} s + {1000 * slope:.1f} ms per registration; "
        f"the farthest size is {100 * worst:.0f} % off it."
    )


def report(runs: int, quick: bool, log) -> str:
    started = time.strftime("%Y-%m-%d")
    lines = [f"Measured {started} on {machine()}.", ""]
    lines += [f"### Plan against its floor (median of {runs} runs, alternating)", ""]
    rows, ratios, cpu = baseline_table(runs, log)
    lines += rows
    verdicts = [
        f"{stack}: plan / floor = {ratios[stack]:.2f}, {'within' if ratios[stack] <= TARGET_RATIO else 'over'} "
        f"the {TARGET_RATIO}x target."
        for stack in TARGET_STACKS
        if stack in ratios
    ]
    lines += ["", *verdicts]
    lines += ["", f"### What the plan adds to its floor (CPU; phases: median of {runs} runs, in one process)", ""]
    lines += phases_table(runs, log, cpu)
    lines += ["", f"### The cost table's share of the dev plan (median of {2 * runs} runs each, alternating)", ""]
    lines += cost_table(2 * runs, log)
    growth_runs = runs
    for series, sizes, make in (
        ("datastores", DATASTORE_SIZES[:2] if quick else DATASTORE_SIZES, with_datastores),
        ("computes", COMPUTE_SIZES[:2] if quick else COMPUTE_SIZES, with_computes),
    ):
        lines += ["", f"### Growth: the dev stack with N {series} (median of {growth_runs} runs)", ""]
        lines += growth_table(series, sizes, make, growth_runs, log)
    return "\n".join(lines) + "\n"


def suite_report(runs: int, log) -> str:
    """``make test`` timed from the outside, ``runs`` times, after one make of both venvs."""
    make = ["make", "--no-print-directory"]
    setup = subprocess.run([*make, "setup", "setup-policy"], cwd=ROOT, capture_output=True, text=True)
    if setup.returncode != 0:
        raise RuntimeError(f"make setup setup-policy failed:\n{setup.stdout}{setup.stderr}")
    rows = ["| run | `make test` wall (s) | tests (policy pack; program) |", "|---:|---:|---|"]
    walls = []
    for i in range(1, runs + 1):
        start = time.perf_counter()
        done = subprocess.run([*make, "test"], cwd=ROOT, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"make test failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        # Each suite's last line, e.g. "892 passed, 1 skipped in 25.1s", without its time.
        counts = "; ".join(re.findall(r"^=*\s*(\d+ passed[^\n]*?) in [\d.]+s", done.stdout, re.M))
        rows.append(f"| {i} | {walls[-1]:.1f} | {counts} |")
        log(rows[-1])
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}, {runs} runs.", "", *rows, ""]
    lines.append(f"Median {statistics.median(walls):.1f} s, from {min(walls):.1f} to {max(walls):.1f} s.")
    return "\n".join(lines) + "\n"


def write_doc(block: str, path: Path = BENCH_DOC, markers: tuple[str, str] = MARKERS) -> None:
    start, end = markers
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    fresh = f"{start}\n{block}{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    path.write_text(pattern.sub(lambda _: fresh, text, count=1) if pattern.search(text) else text + fresh + "\n")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {value})")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=_positive,
                        help=f"runs per measurement (median); default {PLAN_RUNS}, {SUITE_RUNS} with --suite")
    parser.add_argument("--suite", action="store_true", help="time `make test` instead of the plan")
    parser.add_argument("--quick", action="store_true", help="only the two smallest growth sizes")
    parser.add_argument("--cost", action="store_true", help="only the cost table's share of the dev plan")
    parser.add_argument("--phases", action="store_true", help="only where the dev and prod plans' CPU goes")
    parser.add_argument("--write", action="store_true", help=f"record the results in {BENCH_DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.suite and args.quick:
        parser.error("--quick shortens the plan's growth series; --suite times make test")

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.cost:
        sys.stdout.write("\n".join(cost_table(args.runs or 2 * PLAN_RUNS, log)) + "\n")
        return 0
    if args.phases:
        sys.stdout.write("\n".join(phases_table(args.runs or PLAN_RUNS, log)) + "\n")
        return 0
    if args.suite:
        block, markers = suite_report(args.runs or SUITE_RUNS, log), SUITE_MARKERS
    else:
        block, markers = report(args.runs or PLAN_RUNS, args.quick, log), MARKERS
    sys.stdout.write(block)
    if args.write:
        write_doc(block, markers=markers)
        log(f"wrote {BENCH_DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
