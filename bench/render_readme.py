"""Render the benchmark tables of bench/README.md from the results the benchmarks wrote.

`make bench-readme` rewrites the region of bench/README.md between its markers (see START and END) with
tables built from bench/results.json (`make bench`) and, when present, the other results_*.json of
`make bench` (another scale, --fresh-tasks) and bench/results_ingest.json (`make bench-ingest`).
Standard library only; the same result files always give the same text, so running it twice changes
nothing the second time.
"""

from __future__ import annotations

import argparse
import json
import operator
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
START = "<!-- bench: start (make bench-readme) -->"
END = "<!-- bench: end -->"
MAIN_RESULTS = "results.json"
INGEST_RESULTS = "results_ingest.json"

Json = dict[str, Any]

# bench_night.py's nights, in the order it runs them, and how the tables name them.
NIGHTS = (
    ("full_night", "full night"),
    ("second_night", "second night"),
    ("one_day_night", "a day's changes"),
    ("incremental_night", "1% night"),
    ("empty_night", "empty night"),
)
STAGE_LABELS = {
    "ingest": "ingest (3 sources in parallel)",
    "raw checks": "raw checks (GX)",
    "dbt": "dbt build",
    "forecast": "forecast (time series + forecast marts)",
    "mart checks": "mart checks (GX)",
    "publish": "publish",
}
TASK_STARTS = {
    "fresh interpreter": "each stage in a fresh interpreter, importing its tools itself",
    "forked from a forkserver with TASK_PRELOAD_MODULES": "forked from a forkserver that imported "
    "`TASK_PRELOAD_MODULES` once, as the compose stack's scheduler starts them",
}
# stages whose rows are rows worked over; the forecast's and publish's are not a throughput
RATE_STAGES = frozenset({"ingest", "raw checks", "dbt", "mart checks"})
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}


def load(path: Path) -> Json | None:
    """A results file, or None when the benchmark that writes it has not been run."""
    return json.loads(path.read_text()) if path.exists() else None


def seconds(value: float) -> str:
    return f"{value:.1f}"


def count(value: float) -> str:
    return f"{round(value):,}"


def share(part: float, whole: float, digits: int = 1) -> str:
    return f"{part / whole:.{digits}%}" if whole else "n/a"


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [row(header), row(["---"] * len(header)), *(row(cells) for cells in rows)]


def met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def has_server_cpu(result: Json) -> bool:
    return "server_cpu_s" in result["full_night"]


def stage_names(result: Json) -> list[str]:
    return list(result["full_night"]["stages"])


def main_table(result: Json) -> list[str]:
    """Per stage: the full night and the 1% night in full (seconds, rows/s, peak MB, Postgres CPU), the
    second night and a day's changes in seconds, the empty night in seconds and Postgres CPU; then the
    night totals, each incremental night with its share of the full night."""
    cpu = has_server_cpu(result)
    full, second, day, incremental, empty = (result[key] for key, _ in NIGHTS)

    def detail(night: Json, stage: str) -> list[str]:
        figures = night["stages"][stage]
        cells = [seconds(figures["seconds"]), count(figures["rows_per_s"]) if stage in RATE_STAGES else "",
                 str(figures["peak_rss_mb"])]
        return cells + ([seconds(figures["server_cpu_s"])] if cpu else [])

    def brief(night: Json, stage: str, with_cpu: bool) -> list[str]:
        figures = night["stages"][stage]
        return [seconds(figures["seconds"])] + ([seconds(figures["server_cpu_s"])] if with_cpu else [])

    detailed = ["s", "rows/s", "peak MB"] + (["PG CPU s"] if cpu else [])
    header = (["stage"] + [f"full night {name}" for name in detailed] + ["second night s", "a day's changes s"]
              + [f"1% night {name}" for name in detailed]
              + ["empty night s"] + (["empty night PG CPU s"] if cpu else []))
    rows = []
    for stage in stage_names(result):
        rows.append([STAGE_LABELS.get(stage, stage), *detail(full, stage), *brief(second, stage, False),
                     *brief(day, stage, False), *detail(incremental, stage), *brief(empty, stage, cpu)])
    total = full["seconds"]

    def bold(text: str) -> str:
        return f"**{text}**"

    def of_full(night: Json) -> str:
        return bold(f"{seconds(night['seconds'])} ({share(night['seconds'], total)})")

    night_row = ["**night**", bold(f"{seconds(total)} ({total / 60:.1f} min)"), "", ""]
    night_row += [bold(seconds(full["server_cpu_s"]))] if cpu else []
    night_row += [bold(seconds(second["seconds"])), of_full(day), of_full(incremental), "", ""]
    if cpu:
        night_row += [bold(f"{seconds(incremental['server_cpu_s'])} "
                           f"({share(incremental['server_cpu_s'], full['server_cpu_s'])})")]
    night_row += [of_full(empty)] + ([bold(seconds(empty["server_cpu_s"]))] if cpu else [])
    return table(header, [*rows, night_row])


def rows_line(result: Json) -> str:
    first = result["rows_first_night"]
    return (f"Rows loaded: the full night {count(first)}, the second night {count(result['rows_second_night'])}, "
            f"a day's changes {count(result['rows_one_day_night'])} ({share(result['rows_one_day_night'], first, 2)}), "
            f"the 1% night {count(result['rows_incremental_night'])} "
            f"({share(result['rows_incremental_night'], first, 2)}), the empty night none. Tasks: "
            f"{TASK_STARTS.get(result['task_start'], result['task_start'])}.")


def targets_line(result: Json) -> str:
    targets, checks = result["targets"], result["checks"]
    full_minutes = result["full_night"]["seconds"] / 60
    line = (f"Targets: the full night under {targets['full_night_minutes']} minutes: {met(checks['full_night'])}"
            f" ({full_minutes:.1f} min); the peak memory of any task under {targets['peak_task_memory_mb']} MB: "
            f"{met(checks['memory'])} ({checks['peak_task_memory_mb']} MB); the 1% night under "
            f"{targets['incremental_share_of_full']:.0%} of the full night: {met(checks['incremental'])} "
            f"({checks['incremental_share']:.1%}; a day's changes {checks['one_day_share']:.1%}, the empty night "
            f"{checks['empty_share']:.1%}")
    if checks.get("incremental_server_cpu_share") is not None:
        line += f"; the 1% night's Postgres CPU {checks['incremental_server_cpu_share']:.1%} of the full night's"
    return line + ")."


def slowest_line(result: Json, key: str, label: str, top: int = 8) -> str | None:
    nodes = result[key].get("slowest_dbt_nodes") or []
    if not nodes:
        return None
    named = ", ".join(f"`{name}` {seconds(node_seconds)}" for name, node_seconds in nodes[:top])
    return f"Slowest dbt nodes of the {label} (seconds): {named}."


def title_of(result: Json, file_name: str) -> str:
    """What a results file measured, and the command that writes it."""
    scale = result["scale"]
    fresh = result["task_start"] == "fresh interpreter"
    arguments = ([f"BENCH_SCALE={scale:g}"] if scale != 1 else []) + (["BENCH_ARGS=--fresh-tasks"] if fresh else [])
    described = f"`--scale {scale:g}`" + (", each task in a fresh interpreter" if fresh else "")
    command = " ".join(["make bench", *arguments])
    return f"### The nights at {described} (`{command}`, `bench/{file_name}`)"


def nights_table(result: Json) -> list[str]:
    """A night per row: each stage's seconds, the night, its share of the full night, its Postgres CPU."""
    cpu = has_server_cpu(result)
    stages = stage_names(result)
    header = ["night", "rows", *stages, "**night** s", "share of full"] + (["PG CPU s"] if cpu else [])
    total = result["full_night"]["seconds"]
    rows = []
    for key, name in NIGHTS:
        night = result[key]
        cells = [name, count(night["stages"]["ingest"]["rows"])]
        cells += [seconds(night["stages"][stage]["seconds"]) for stage in stages]
        cells += [f"**{seconds(night['seconds'])}**", "" if key == "full_night" else share(night["seconds"], total)]
        cells += [seconds(night["server_cpu_s"])] if cpu else []
        rows.append(cells)
    return table(header, rows)


def meets(value: float, target: str) -> bool:
    """`value` against a target written as an operator and a number (">= 0.8")."""
    for symbol in sorted(COMPARISONS, key=len, reverse=True):
        if target.strip().startswith(symbol):
            return COMPARISONS[symbol](value, float(target.strip()[len(symbol):]))
    raise ValueError(f"cannot read the target {target!r}")


def ingest_section(result: Json) -> list[str]:
    loader, bare, naive = result["loader"], result["bare_copy"], result["naive_pandas_to_sql"]
    ratios, targets = result["ratios"], result["targets"]
    against_copy, against_naive = ratios["loader_vs_bare_copy"], ratios["loader_vs_naive"]
    lines = [
        "### Ingestion (`make bench-ingest`, `bench/results_ingest.json`)",
        "",
        f"{result['files']} files, {count(result['rows'])} rows, {result['mb']:,.1f} MB at "
        f"`--scale {result['scale']:g}`; the best of three runs of each file is kept.",
        "",
        *table(["method", "seconds", "rows/s", "MB/s", "peak MB"], [
            ["the loader", f"{loader['seconds']:.2f}", count(loader["rows_per_s"]), f"{loader['mb_per_s']:.1f}",
             str(loader["peak_rss_mb"])],
            ["bare `psql \\copy` into a plain text table", f"{bare['seconds']:.2f}", count(bare["rows_per_s"]),
             f"{bare['mb_per_s']:.1f}", ""],
            [f"`pandas.read_csv` + `DataFrame.to_sql` ({count(naive['rows'])} rows of the two largest files)",
             f"{naive['seconds']:.2f}", count(naive["rows_per_s"]), "", ""],
        ]),
        "",
        f"The loader against bare COPY: **{against_copy:.2f}** (target {targets['loader_vs_bare_copy']}: "
        f"{met(meets(against_copy, targets['loader_vs_bare_copy']))}); against pandas: **{against_naive:.0f}x** "
        f"(target {targets['loader_vs_naive']}: {met(meets(against_naive, targets['loader_vs_naive']))}); "
        f"the loader's peak memory "
        f"{loader['peak_rss_mb']} MB (target {targets['peak_rss_mb']}: "
        f"{met(meets(loader['peak_rss_mb'], targets['peak_rss_mb']))}).",
        "",
    ]
    per_file = []
    for entry in result["per_file"]:
        ratio = entry["bare_copy_s"] / entry["loader_s"] if entry["loader_s"] else 0.0
        per_file.append([f"`{entry['file']}`", count(entry["rows"]), f"{entry['mb']:.1f}", count(entry["rejected"]),
                         f"{entry['loader_s']:.2f}", f"{entry['bare_copy_s']:.2f}", f"{ratio:.2f}"])
    lines += table(["file", "rows", "MB", "rejected", "loader s", "bare COPY s", "loader / bare COPY"], per_file)
    return lines


def render(bench_dir: Path) -> str:
    """The text between the markers."""
    main = load(bench_dir / MAIN_RESULTS)
    if main is None:
        raise SystemExit(f"{bench_dir / MAIN_RESULTS} not found: run `make bench` first")
    lines = [
        "<!-- generated by bench/render_readme.py from bench/results*.json: edit those, not this -->",
        "",
        f"### The nights at `--scale {main['scale']:g}` (`make bench`, `bench/{MAIN_RESULTS}`)",
        "",
        *main_table(main),
        "",
        rows_line(main),
        "",
        targets_line(main),
        "",
    ]
    for key, label in (("incremental_night", "1% night"), ("empty_night", "empty night")):
        slowest = slowest_line(main, key, label)
        if slowest:
            lines += [slowest, ""]
    others = sorted(path for path in bench_dir.glob("results_*.json") if path.name != INGEST_RESULTS)
    for path in others:
        result = load(path)
        if result is None:
            continue
        lines += [title_of(result, path.name), "", *nights_table(result), "", rows_line(result), "",
                  targets_line(result), ""]
    ingest = load(bench_dir / INGEST_RESULTS)
    if ingest is not None:
        lines += [*ingest_section(ingest), ""]
    return "\n".join(lines).rstrip("\n")


def rewrite(readme: Path, text: str) -> bool:
    """Replace the region between the markers; returns whether the file changed."""
    content = readme.read_text()
    start, end = content.find(START), content.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme} has no benchmark markers ({START} ... {END})")
    updated = f"{content[:start]}{START}\n{text}\n{content[end:]}"
    if updated == content:
        return False
    readme.write_text(updated)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=BENCH_DIR, help="where the results_*.json files are")
    parser.add_argument("--readme", type=Path, default=BENCH_DIR / "README.md", help="the file to rewrite")
    parser.add_argument("--stdout", action="store_true", help="print the generated text instead of writing it")
    args = parser.parse_args()
    text = render(args.bench_dir)
    if args.stdout:
        print(text)
        return 0
    changed = rewrite(args.readme, text)
    print(f"{args.readme}: {'tables rewritten' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
