"""Whole-night benchmark: a full first night and incremental nights at --scale 1, stage by stage.

Data is generated once and cached under bench/data/: the full extract of the first night, then the
extracts of the second and third nights (a day's changes each, about 0.3% of the first night's rows),
then the sources skip three nights and the next extract carries four days of changes (about 1%: the
incremental night the targets are judged on). Write-audit-publish builds each night into the
previous-but-one published marts, recycled, so the second night of a new warehouse still builds
every mart from scratch (it is reported too); the third night is a day's steady state. Each stage runs
the same function its Airflow task calls, in a child process of its own, so its wall time and peak
memory (ru_maxrss of the child) are its own; ingestion runs the three sources in parallel, as the DAG
does. The children start as docker-compose.yml's scheduler starts tasks: forked from a forkserver that
imported the tools once (dag_parts.TASK_PRELOAD_MODULES), so a task does not import GX, dbt or
statsmodels itself; `--fresh-tasks` starts each in a new interpreter instead (results_*fresh_tasks.json).
Airflow's own per-task overhead is not in these figures. Each stage also reports the CPU seconds the
embedded Postgres used during it (`server_cpu_s`): the SQL's work, steadier from run to run than the
wall time on a shared machine.
Two nights whose extracts are empty (headers only) follow; the second is reported as the empty night:
nothing changed in the two nights its marts catch up, so its time is the night's fixed cost (tools
starting, project parsing, tables rebuilt whole, the checks), the floor under any incremental night.
Results: bench/results.json (another scale: bench/results_scale_<scale>.json). Run: `make bench`
(`make bench BENCH_SCALE=2` for a warehouse twice as large, `make bench BENCH_ARGS=--fresh-tasks`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
import traceback
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
FIRST_NIGHT = date(2026, 11, 19)
DAYS = 7  # nights 1-3 delivered, 4-6 skipped, 7 carries their changes and its own
SKIPPED = tuple(FIRST_NIGHT + timedelta(days=offset) for offset in (3, 4, 5))
TARGETS = {"full_night_minutes": 15, "incremental_share_of_full": 0.10, "peak_task_memory_mb": 2048}

def stage_main(stage: str, night_iso: str, arg: str) -> dict:
    """One stage of a night, as its Airflow task runs it: seconds, rows worked over, peak memory."""
    import resource

    from salesops import warehouse
    from salesops.config import load_settings
    from salesops.orchestration import nightly

    night = date.fromisoformat(night_iso)
    settings = load_settings()
    started = time.perf_counter()
    rows = 0
    if stage == "ingest":
        from salesops.contracts import entities_of

        results = [nightly.ingest_file(arg, e.name, night, settings=settings) for e in entities_of(arg)]
        nightly.check_source(arg, night, results, settings=settings)
        rows = sum(r["rows_read"] for r in results)
    elif stage in ("raw checks", "mart checks"):
        summary = nightly.validate("raw" if stage == "raw checks" else "marts", night, "bench", settings=settings)
        if summary["critical_failures"]:
            raise SystemExit(f"{stage}: critical failures: {summary['critical_failures']}")
    elif stage == "dbt":
        nightly.build(night, settings=settings)
    elif stage == "forecast":
        rows = nightly.forecast(night, settings=settings).get("rows", 0)
    elif stage == "publish":
        rows = sum(nightly.publish_night(night, "bench", settings=settings).values())
    elapsed = time.perf_counter() - started
    if stage in ("raw checks", "dbt", "mart checks"):
        # rows the stage worked over: the night's raw rows, or the rows of the marts it built or checked
        conn = warehouse.connect(settings)
        with conn.cursor() as cur:
            if stage == "raw checks":
                cur.execute("select coalesce(sum(rows_loaded), 0) from meta.load_ledger where night = %s", (night,))
            else:
                cur.execute("select coalesce(sum(n_live_tup), 0) from pg_stat_user_tables"
                            " where schemaname = 'marts_build'")
            rows = int(cur.fetchone()[0])
        conn.close()
    # a gate validates in worker processes: the task's memory is its own and each worker's (the largest
    # of them, counted once per worker; their shared pages are counted in each). A task forked from a
    # preloading server starts with the server's pages resident: they are counted too.
    workers = settings.gx_workers if stage in ("raw checks", "mart checks") else 0
    own = resource.getrusage(resource.RUSAGE_SELF)
    peak_kb = own.ru_maxrss + workers * resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": elapsed, "rows": rows, "peak_rss_mb": peak_kb / 1024,
            "task_cpu_s": round(own.ru_utime + own.ru_stime, 2)}  # the task's own CPU, not its workers' or the SQL's


def _fresh_child() -> None:
    """`python -c` entry of a stage in a fresh interpreter (--fresh-tasks)."""
    print("RESULT" + json.dumps(stage_main(*sys.argv[1:4])), flush=True)


def _preloaded_child(stage: str, night_iso: str, arg: str, log_path: str, result) -> None:  # noqa: ANN001 - a Connection
    """A stage forked from the forkserver; its output goes to a log file, its figures to the pipe."""
    with open(log_path, "w") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        result.send(stage_main(stage, night_iso, arg))
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        raise


class Tasks:
    """Starts the stages as the Airflow deployment starts tasks. Preloaded (the default, as
    docker-compose.yml runs the scheduler): forked from a forkserver that imported
    TASK_PRELOAD_MODULES once, as the LocalExecutor's workers are. Fresh (--fresh-tasks): a new
    interpreter per stage, which imports its tools itself (a KubernetesExecutor pod, or a scheduler
    without the preload)."""

    def __init__(self, fresh: bool, log_dir: Path) -> None:
        self.fresh = fresh
        self.log_dir = log_dir
        if not fresh:
            from salesops.orchestration.dag_parts import TASK_PRELOAD_MODULES

            self.context = multiprocessing.get_context("forkserver")
            self.context.set_forkserver_preload(list(TASK_PRELOAD_MODULES))

    def start(self, stage: str, night: date, arg: str = "") -> subprocess.Popen | tuple:
        if self.fresh:
            code = f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import bench_night; bench_night._fresh_child()"
            return subprocess.Popen([sys.executable, "-c", code, stage, night.isoformat(), arg],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{night}_{stage.replace(' ', '_')}{'_' + arg if arg else ''}.log"
        receive, send = self.context.Pipe(duplex=False)
        process = self.context.Process(target=_preloaded_child,
                                       args=(stage, night.isoformat(), arg, str(log_path), send))
        process.start()
        send.close()
        return process, receive, log_path

    def collect(self, started: subprocess.Popen | tuple, stage: str) -> dict:
        if self.fresh:
            out, err = started.communicate()
            if started.returncode != 0:
                raise SystemExit(f"stage {stage} failed:\n{err[-4000:]}")
            line = next(line for line in out.splitlines() if line.startswith("RESULT"))
            return json.loads(line[len("RESULT"):])
        process, receive, log_path = started
        try:
            figures = receive.recv()
        except EOFError:
            figures = None
        process.join()
        if figures is None or process.exitcode != 0:
            output = log_path.read_text()[-4000:] if log_path.exists() else "(it wrote no log)"
            raise SystemExit(f"stage {stage} failed, exit code {process.exitcode} (log {log_path}):\n{output}")
        return figures


def ensure_data(scale: float) -> Path:
    out = BENCH_DIR / "data" / f"nights_{DAYS}_skip_{len(SKIPPED)}_scale_{scale:g}"
    if not (out / "_manifest.json").exists():
        print(f"generating --scale {scale}, {DAYS} nights ({len(SKIPPED)} skipped) into {out} (once; cached) ...",
              flush=True)
        skips = [argument for night in SKIPPED for argument in ("--skip", night.isoformat())]
        subprocess.run([sys.executable, "-m", "salesops.cli", "generate", "--scale", str(scale), "--start",
                        FIRST_NIGHT.isoformat(), "--days", str(DAYS), *skips, "--out", str(out), "--quiet"],
                       check=True)
    return out


def with_empty_nights(landing: Path, count: int) -> Path:
    """The cached nights plus `count` nights whose every extract is its header only (nothing changed):
    a landing folder of hard links to the real nights' files (the loader never follows a symbolic link out
    of its landing folder) and the empty nights beside them."""
    out = landing.parent / f"{landing.name}_then_{count}_empty"
    real = sorted(p.name for p in (landing / "crm").iterdir())
    first_empty = date.fromisoformat(real[-1]) + timedelta(days=1)
    for source_dir in (p for p in landing.iterdir() if p.is_dir()):
        for night in real:
            folder = out / source_dir.name / night
            if folder.is_symlink():  # made by an earlier version of this script
                folder.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            for extract in (source_dir / night).iterdir():
                if not (folder / extract.name).exists():
                    (folder / extract.name).hardlink_to(extract)
        for offset in range(count):
            empty = out / source_dir.name / (first_empty + timedelta(days=offset)).isoformat()
            empty.mkdir(parents=True, exist_ok=True)
            for extract in (source_dir / real[-1]).glob("*.csv"):
                with extract.open(encoding="utf-8") as handle:
                    (empty / extract.name).write_text(handle.readline(), encoding="utf-8")
    return out


def server_cpu_seconds(postmaster: int | None) -> float:
    """CPU seconds the embedded Postgres has used: the postmaster's own, its ended children's (added to
    its counters when it reaps them: dbt's connection per node) and its live children's. The work the
    SQL did, which moves far less from one run to the next on this machine than wall time does."""

    def ticks(pid: int | str) -> tuple[int, int, int] | None:
        """The process's parent, its own CPU ticks (utime + stime), its reaped children's (cutime + cstime)."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return None
        return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])

    server = ticks(postmaster) if postmaster is not None else None
    if server is None:
        return 0.0
    total = server[1] + server[2]
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != postmaster:
            child = ticks(entry)
            if child and child[0] == postmaster:
                total += child[1]
    return total / os.sysconf("SC_CLK_TCK")


def run_night(tasks: Tasks, night: date, postmaster: int | None = None) -> dict:
    from salesops.contracts import SOURCES

    stages = {}
    started = time.perf_counter()
    server_cpu = server_cpu_seconds(postmaster)
    children = {source: tasks.start("ingest", night, source) for source in SOURCES}  # in parallel, as in the DAG
    results = {source: tasks.collect(child, f"ingest {source}") for source, child in children.items()}
    stages["ingest"] = {"seconds": time.perf_counter() - started, "rows": sum(r["rows"] for r in results.values()),
                        "peak_rss_mb": max(r["peak_rss_mb"] for r in results.values())}
    stages["ingest"]["server_cpu_s"], server_cpu = _cpu_since(server_cpu, postmaster)
    print(f"  {night} ingest {stages['ingest']['seconds']:.1f} s", flush=True)
    slowest = []
    for stage in ("raw checks", "dbt", "forecast", "mart checks", "publish"):
        stages[stage] = tasks.collect(tasks.start(stage, night), stage)
        stages[stage]["server_cpu_s"], server_cpu = _cpu_since(server_cpu, postmaster)
        print(f"  {night} {stage} {stages[stage]['seconds']:.1f} s (Postgres CPU {stages[stage]['server_cpu_s']} s)",
              flush=True)
        if stage == "dbt":
            slowest = slowest_dbt_nodes()
            print("    slowest: " + ", ".join(f"{name} {seconds} s" for name, seconds in slowest[:6]), flush=True)
    for figures in stages.values():
        figures["rows_per_s"] = round(figures["rows"] / figures["seconds"]) if figures["seconds"] else 0
        figures["seconds"] = round(figures["seconds"], 1)
        figures["peak_rss_mb"] = round(figures["peak_rss_mb"])
    total = sum(f["seconds"] for f in stages.values())
    server_cpu_total = round(sum(f["server_cpu_s"] for f in stages.values()), 1)
    return {"night": night.isoformat(), "seconds": round(total, 1), "server_cpu_s": server_cpu_total,
            "stages": stages, "slowest_dbt_nodes": slowest}


def _cpu_since(before: float, postmaster: int | None) -> tuple[float, float]:
    now = server_cpu_seconds(postmaster)
    return round(now - before, 1), now


def slowest_dbt_nodes(count: int = 15) -> list[list]:
    """The dbt build's slowest nodes (run_results.json of the stage just run): where its time goes."""
    from salesops.config import load_settings

    run_results = load_settings().home / "dbt_target" / "run_results.json"
    if not run_results.exists():
        return []
    nodes = json.loads(run_results.read_text())["results"]
    nodes.sort(key=lambda node: -node["execution_time"])
    return [[node["unique_id"].split(".", 2)[-1], round(node["execution_time"], 1)] for node in nodes[:count]]


def print_table(result: dict) -> None:
    full, day, incremental, empty = (result[k] for k in ("full_night", "one_day_night", "incremental_night",
                                                          "empty_night"))
    print(f"\n{'stage':<12} {'full s':>8} {'rows/s':>10} {'peak MB':>8} | {'day s':>7} | {'1% s':>8} {'rows/s':>10}"
          f" {'peak MB':>8} | {'empty s':>8}")
    for stage in full["stages"]:
        f, d, i, e = (night["stages"][stage] for night in (full, day, incremental, empty))
        print(f"{stage:<12} {f['seconds']:>8.1f} {f['rows_per_s']:>10,} {f['peak_rss_mb']:>8} | {d['seconds']:>7.1f} | "
              f"{i['seconds']:>8.1f} {i['rows_per_s']:>10,} {i['peak_rss_mb']:>8} | {e['seconds']:>8.1f}")
    print(f"{'night':<12} {full['seconds']:>8.1f} {'':>10} {'':>8} | {day['seconds']:>7.1f} | "
          f"{incremental['seconds']:>8.1f} {'':>10} {'':>8} | {empty['seconds']:>8.1f}")
    checks = result["checks"]
    print(f"\nrows: first night {result['rows_first_night']:,}; a day's changes {result['rows_one_day_night']:,} "
          f"({checks['one_day_rows_share']:.2%}); four days' {result['rows_incremental_night']:,} "
          f"({checks['incremental_rows_share']:.2%})")
    print(f"full night {full['seconds'] / 60:.1f} min (target < {TARGETS['full_night_minutes']}): "
          f"{'met' if checks['full_night'] else 'NOT met'}; incremental (about 1% changed) "
          f"{checks['incremental_share']:.1%} of full (target < {TARGETS['incremental_share_of_full']:.0%}): "
          f"{'met' if checks['incremental'] else 'NOT met'}; a day's changes {checks['one_day_share']:.1%}; "
          f"peak task memory {checks['peak_task_memory_mb']} MB (target < {TARGETS['peak_task_memory_mb']}): "
          f"{'met' if checks['memory'] else 'NOT met'}; a night with nothing to do (the fixed cost) "
          f"{checks['empty_share']:.1%} of full")
    print(f"Postgres CPU: full night {full['server_cpu_s']} s; 1% night {incremental['server_cpu_s']} s "
          f"({checks['incremental_server_cpu_share']:.1%}); empty night {empty['server_cpu_s']} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--fresh-tasks", action="store_true",
                        help="start each stage in a new interpreter that imports its tools itself (a scheduler "
                             "without the preload, or a KubernetesExecutor pod) instead of forking it from a "
                             "server that imported them once (docker-compose.yml's scheduler)")
    args = parser.parse_args()

    from salesops import warehouse
    from salesops.config import load_settings

    settings = load_settings()
    landing = with_empty_nights(ensure_data(args.scale), count=2)
    if settings.uses_embedded_warehouse:  # a fresh warehouse: the first night is a true first night
        warehouse.stop(settings)
        shutil.rmtree(settings.pgdata, ignore_errors=True)
    os.environ["SALESOPS_LANDING_DIR"] = str(landing)
    settings = warehouse.ensure_available(load_settings())
    from salesops.transform import dbt_tasks

    # before the clock starts, as `salesops run` does: the nightly build's test selection is named from it
    dbt_tasks.build_manifest(settings)
    # after the environment is set: the forkserver starts with the first stage and keeps that environment
    tasks = Tasks(fresh=args.fresh_tasks, log_dir=settings.home / "bench_stage_logs")
    print(f"warehouse {warehouse.redact(settings.warehouse_url)}; data {landing}; tasks "
          f"{'each in a fresh interpreter' if args.fresh_tasks else 'forked from a preloading forkserver'}",
          flush=True)
    postmaster = warehouse.status(settings).pid if settings.uses_embedded_warehouse else None
    full = run_night(tasks, FIRST_NIGHT, postmaster)
    second = run_night(tasks, FIRST_NIGHT + timedelta(days=1), postmaster)
    day = run_night(tasks, FIRST_NIGHT + timedelta(days=2), postmaster)
    incremental = run_night(tasks, FIRST_NIGHT + timedelta(days=DAYS - 1), postmaster)  # skipped nights not run
    run_night(tasks, FIRST_NIGHT + timedelta(days=DAYS), postmaster)  # empty; its marts catch up the night before
    empty = run_night(tasks, FIRST_NIGHT + timedelta(days=DAYS + 1), postmaster)
    nights = (full, second, day, incremental, empty)
    peak = max(s["peak_rss_mb"] for night in nights for s in night["stages"].values())
    rows = full["stages"]["ingest"]["rows"]
    result = {
        "scale": args.scale,
        "task_start": "fresh interpreter" if args.fresh_tasks else "forked from a forkserver with TASK_PRELOAD_MODULES",
        "rows_first_night": rows,
        "rows_second_night": second["stages"]["ingest"]["rows"],
        "rows_one_day_night": day["stages"]["ingest"]["rows"],
        "rows_incremental_night": incremental["stages"]["ingest"]["rows"],
        "full_night": full,
        "second_night": second,
        "one_day_night": day,
        "incremental_night": incremental,
        "empty_night": empty,
        "targets": TARGETS,
        "checks": {
            "full_night": full["seconds"] < TARGETS["full_night_minutes"] * 60,
            "incremental_rows_share": round(incremental["stages"]["ingest"]["rows"] / rows, 4),
            "incremental_share": round(incremental["seconds"] / full["seconds"], 3),
            "incremental": incremental["seconds"] / full["seconds"] < TARGETS["incremental_share_of_full"],
            "one_day_rows_share": round(day["stages"]["ingest"]["rows"] / rows, 4),
            "one_day_share": round(day["seconds"] / full["seconds"], 3),
            "peak_task_memory_mb": peak,
            "memory": peak < TARGETS["peak_task_memory_mb"],
            "empty_share": round(empty["seconds"] / full["seconds"], 3),
            "incremental_server_cpu_share": round(incremental["server_cpu_s"] / full["server_cpu_s"], 3)
            if full["server_cpu_s"] else None,
        },
    }
    name = "results" + ("" if args.scale == 1 else f"_scale_{args.scale:g}")
    name += "_fresh_tasks" if args.fresh_tasks else ""
    written = BENCH_DIR / f"{name}.json"
    written.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    print(f"\nwritten to {written}")
    if settings.uses_embedded_warehouse:  # kept for profiling: the nights are published in it
        print(f"the benchmark warehouse is still running at {warehouse.redact(settings.warehouse_url)};"
              f" stop it with: SALESOPS_HOME={settings.home} .venv/bin/salesops db stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
