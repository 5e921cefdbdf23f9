"""Ingestion benchmark: the loader against a bare psql COPY (the limit) and pandas to_sql (the naive way).

All three run in the same session on the same generated files (--scale 1 by default, generated
once and cached under bench/data/), so only ratios are reported as results. Loader and bare COPY
alternate per file, each after a CHECKPOINT, and the best of --repeat runs is kept for each.
Run: `make bench-ingest`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
NIGHT = date(2026, 11, 19)
# Like bare COPY's fresh table, the loader starts from an empty night: the previous run's batch is
# dropped before the clock starts (a first load of a night, as in production, drops nothing).
LOADER_CHILD = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from salesops import warehouse
from salesops.contracts import entity
from salesops.ingest.loader import load_file, partition_name
source, name, path = sys.argv[1:4]
night = date.fromisoformat(sys.argv[4])
conn = warehouse.connect()
with conn.cursor() as cur:
    cur.execute("select to_regclass(%s) is not null", (f"raw.{entity(source, name).key}",))
    if cur.fetchone()[0]:
        cur.execute(f"drop table if exists raw.{partition_name(entity(source, name), night)}")
        cur.execute("delete from meta.load_ledger where night = %s and source = %s and entity = %s",
                    (night, source, name))
conn.commit()
with conn.cursor() as cur:
    cur.execute("checkpoint")
started = time.perf_counter()
result = load_file(conn, entity(source, name), Path(path), night)
print(json.dumps({"seconds": time.perf_counter() - started, "rows": result.rows_read,
                  "rejected": result.rows_rejected,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def ensure_data(scale: float) -> Path:
    out = BENCH_DIR / "data" / f"landing_scale_{scale:g}"
    if not (out / "_manifest.json").exists():
        print(f"generating --scale {scale} into {out} (once; cached) ...", flush=True)
        subprocess.run([sys.executable, "-m", "salesops.cli", "generate", "--scale", str(scale), "--start",
                        NIGHT.isoformat(), "--days", "1", "--out", str(out), "--quiet"], check=True)
    return out


def psql_bin() -> str:
    from salesops.warehouse import bin_dir

    return str(bin_dir() / "psql")


def bare_copy(url: str, table: str, columns: list[str], path: Path) -> float:
    """psql \\copy of the file into a plain text table of the same columns (created fresh)."""
    cols = ", ".join(f'"{c}" text' for c in columns)
    subprocess.run([psql_bin(), url, "-qc", f"set client_min_messages = warning; drop table if exists bench.{table};"
                    f" create table bench.{table} ({cols})"],
                   check=True)
    checkpoint(url)
    started = time.perf_counter()
    subprocess.run([psql_bin(), url, "-qc", f"\\copy bench.{table} from '{path}' with (format csv, header true)"],
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    # Leave the database as the loader finds it: no extra gigabyte of table in the buffers.
    subprocess.run([psql_bin(), url, "-qc", f"drop table bench.{table}"], check=True)
    return seconds


def checkpoint(url: str) -> None:
    """Start each timed load from a clean checkpoint, so one load's WAL does not slow the next."""
    subprocess.run([psql_bin(), url, "-qc", "checkpoint"], check=True)


def naive_to_sql(url: str, path: Path, rows: int) -> float:
    """pandas.read_csv + DataFrame.to_sql of the first `rows` rows; returns seconds."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    started = time.perf_counter()
    frame = pd.read_csv(path, nrows=rows, dtype=str, keep_default_na=False)
    frame.to_sql(f"naive_{path.stem}", engine, schema="bench", if_exists="replace", index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--naive-rows", type=int, default=100_000, help="rows per file for the pandas baseline")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each method per file (best kept)")
    args = parser.parse_args()

    from salesops import warehouse
    from salesops.config import load_settings
    from salesops.contracts import ENTITIES

    settings = warehouse.ensure_available(load_settings())
    url = settings.warehouse_url
    landing = ensure_data(args.scale)
    subprocess.run([psql_bin(), url, "-qc", "create schema if not exists bench"], check=True)
    files = [(e, landing / e.source / NIGHT.isoformat() / f"{e.name}.csv") for e in ENTITIES]
    files = [(e, p) for e, p in files if p.exists()]
    total_bytes = sum(p.stat().st_size for _, p in files)
    print(f"{len(files)} files, {total_bytes / 1e6:,.0f} MB", flush=True)

    rows_total = loader_seconds = bare_seconds = loader_peak_mb = 0.0
    per_file = []
    for ent, path in files:
        # Alternate the two, twice, and keep each one's best: neither always runs after the other's writes.
        bare_times, loads = [], []
        for _ in range(args.repeat):
            child = subprocess.run([sys.executable, "-c", LOADER_CHILD, ent.source, ent.name, str(path),
                                    NIGHT.isoformat()], check=True, capture_output=True, text=True)
            loads.append(json.loads(child.stdout.strip().splitlines()[-1]))
            bare_times.append(bare_copy(url, ent.key, list(ent.column_names), path))
        loaded = min(loads, key=lambda run: run["seconds"])
        loader_peak_mb = max([loader_peak_mb] + [run["peak_rss_mb"] for run in loads])
        bare = min(bare_times)
        rows_total += loaded["rows"]
        loader_seconds += loaded["seconds"]
        bare_seconds += bare
        per_file.append({"file": f"{ent.source}/{ent.name}.csv", "rows": loaded["rows"],
                         "mb": round(path.stat().st_size / 1e6, 1), "loader_s": round(loaded["seconds"], 2),
                         "bare_copy_s": round(bare, 2), "rejected": loaded["rejected"]})
        print(f"  {ent.source}/{ent.name:<24} {loaded['rows']:>10,} rows  loader {loaded['seconds']:6.2f}s"
              f"  bare COPY {bare:6.2f}s", flush=True)

    biggest = sorted(files, key=lambda f: f[1].stat().st_size, reverse=True)[:2]
    naive_rows = naive_seconds = 0.0
    for _, path in biggest:
        naive_seconds += naive_to_sql(url, path, args.naive_rows)
        naive_rows += args.naive_rows
    subprocess.run([psql_bin(), url, "-qc", "set client_min_messages = warning; drop schema bench cascade"], check=True)

    loader_rps, bare_rps, naive_rps = rows_total / loader_seconds, rows_total / bare_seconds, naive_rows / naive_seconds
    results = {
        "scale": args.scale, "files": len(files), "rows": int(rows_total), "mb": round(total_bytes / 1e6, 1),
        "loader": {"seconds": round(loader_seconds, 2), "rows_per_s": round(loader_rps),
                   "mb_per_s": round(total_bytes / 1e6 / loader_seconds, 1), "peak_rss_mb": round(loader_peak_mb)},
        "bare_copy": {"seconds": round(bare_seconds, 2), "rows_per_s": round(bare_rps),
                      "mb_per_s": round(total_bytes / 1e6 / bare_seconds, 1)},
        "naive_pandas_to_sql": {"rows": int(naive_rows), "seconds": round(naive_seconds, 2),
                                "rows_per_s": round(naive_rps)},
        "ratios": {"loader_vs_bare_copy": round(loader_rps / bare_rps, 3),
                   "loader_vs_naive": round(loader_rps / naive_rps, 1)},
        "targets": {"loader_vs_bare_copy": ">= 0.8", "loader_vs_naive": ">= 20", "peak_rss_mb": "< 500"},
        "per_file": per_file,
    }
    out = BENCH_DIR / "results_ingest.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(f"{'':<22}{'rows/s':>12}{'MB/s':>9}")
    print(f"{'loader':<22}{loader_rps:>12,.0f}{total_bytes / 1e6 / loader_seconds:>9.1f}   peak RSS "
          f"{loader_peak_mb:,.0f} MB")
    print(f"{'bare psql COPY':<22}{bare_rps:>12,.0f}{total_bytes / 1e6 / bare_seconds:>9.1f}")
    print(f"{'pandas to_sql':<22}{naive_rps:>12,.0f}")
    print(f"loader / bare COPY = {loader_rps / bare_rps:.2f} (target >= 0.80); "
          f"loader / naive = {loader_rps / naive_rps:.0f}x (target >= 20x)")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
