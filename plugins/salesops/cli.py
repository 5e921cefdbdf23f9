"""`salesops`: the command line of the Sales Operations warehouse."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from datetime import date, timedelta
from pathlib import Path

from salesops import warehouse
from salesops.config import PUBLISHED_SCHEMA, Settings, dbt_env, load_settings
from salesops.errors import SalesopsError, WarehouseError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def cmd_db(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.action == "url":
        # the embedded URL names the owner-only password file, never a password; an external one is redacted
        print(settings.warehouse_url if settings.uses_embedded_warehouse else warehouse.redact(settings.warehouse_url))
        return 0
    if args.action == "env":
        for key, value in dbt_env(settings).items():
            if key == "SALESOPS_DB_PASSWORD" and value:
                print(f"# {key}: the password in SALESOPS_WAREHOUSE_URL (not printed)")
            else:
                print(f"export {key}={shlex.quote(value)}")
        return 0
    if args.action == "grant-bi":
        from salesops.publish import access

        settings = warehouse.ensure_available(settings)
        role = access.create_bi_reader(settings)
        where = (f"password in {settings.passfile}" if settings.uses_embedded_warehouse and
                 not settings.bi_password else "password from SALESOPS_BI_PASSWORD")
        print(f"{role} can read marts.* and meta.dq_results, nothing else ({where}; log in with: "
              f"{warehouse.redact(access.bi_url(settings))})"
              + ("" if access.bi_password(settings) else
                 " (no password set: export SALESOPS_BI_PASSWORD first on a server that checks passwords)"))
        return 0
    if not settings.uses_embedded_warehouse:
        print(f"SALESOPS_WAREHOUSE_URL is set ({warehouse.redact(settings.warehouse_url)}): "
              "the embedded server is not used.")
        return 0 if args.action == "status" else 1
    if args.action == "start":
        state = warehouse.start(settings)
        print(f"embedded PostgreSQL running (pid {state.pid}) at {state.url}, data in {state.pgdata}")
    elif args.action == "stop":
        warehouse.stop(settings)
        print("embedded PostgreSQL stopped")
    else:
        state = warehouse.status(settings)
        print(f"{'running' if state.running else 'stopped'}: {state.url} (data in {state.pgdata})"
              + (f", pid {state.pid}" if state.pid else ""))
        return 0 if state.running else 3
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the nightly DAG for a date through Airflow, then print what happened."""
    from salesops.orchestration import night_lock

    settings = warehouse.ensure_available(load_settings())
    with night_lock.hold(settings, args.date, f"salesops run --date {args.date}") as token:
        return _run_night(settings, args.date, token, full_refresh=args.full_refresh, rewind=args.rewind,
                          forecast_backfill_from=args.forecast_backfill_from, verbose=args.verbose)


def _run_night(settings: Settings, night: date, lock_token: str, full_refresh: bool = False, rewind: bool = False,
               forecast_backfill_from: date | None = None, verbose: bool = False) -> int:
    """One night through Airflow under the caller's night lock; prints the summary of this run only."""
    from datetime import UTC, datetime

    from salesops.orchestration import airflow_env
    from salesops.publish import swap
    from salesops.report import night_page, run_summary

    if not rewind:
        swap.refuse_rewind(swap.live_night(settings), night)
    print(f"Running salesops_nightly for {night} (landing: {settings.landing_dir}) ...", flush=True)
    log_file = settings.airflow_home / "runs" / f"salesops_nightly_{night}.log"
    conf: dict = {}
    if full_refresh:
        conf["full_refresh"] = True
    if rewind:
        conf["rewind"] = True
    if forecast_backfill_from:
        conf["forecast_backfill_from"] = forecast_backfill_from.isoformat()
    started = datetime.now(UTC)
    code = airflow_env.run_dag_test(settings, night, log_file=log_file, conf=conf or None, lock_token=lock_token)
    try:
        summary = run_summary.summarize(settings, night, since=started)
    except WarehouseError as exc:  # the warehouse went away during the night: say so, and where the log is
        print(f"\nThe night FAILED (airflow exit code {code}) and its summary cannot be read: {exc}\n"
              f"Airflow log: {log_file}", file=sys.stderr)
        return code or 1
    print(run_summary.format_text(summary, verbose=verbose))
    if code == 0 and summary.run_id is None and all(f["earlier"] for f in summary.files):
        # a run Airflow marks successful without running a task (e.g. a night before the DAG's start_date)
        print(f"\nAirflow ran no task for {night}: nothing was loaded. See {log_file}.", file=sys.stderr)
        return 1
    page = night_page.night_report_path(settings, night)
    print(f"\nData-quality report: {page}" if page.exists() else "")
    print(f"Airflow log: {log_file}")
    if code != 0:
        print(f"\nThe night FAILED (airflow exit code {code}); see the log above for the failing task.",
              file=sys.stderr)
    return code


def cmd_backfill(args: argparse.Namespace) -> int:
    """Run the nightly DAG for every night of a range, oldest first, stopping at the first failure.

    Nights run one at a time (a night builds on the one before), each exactly as `salesops run`
    would, so a backfill gives the same marts as the nights run one by one. The night lock is held
    for the whole range."""
    from salesops.orchestration import night_lock

    if args.to_date < args.from_date:
        raise SalesopsError(f"--to {args.to_date} is before --from {args.from_date}")
    nights = [args.from_date + timedelta(days=i) for i in range((args.to_date - args.from_date).days + 1)]
    settings = warehouse.ensure_available(load_settings())
    print(f"Backfilling {len(nights)} night(s), {nights[0]} to {nights[-1]}", flush=True)
    with night_lock.hold(settings, nights[0], f"salesops backfill --from {nights[0]} --to {nights[-1]}") as token:
        for number, night in enumerate(nights, start=1):
            print(f"\n[{number}/{len(nights)}] {night}", flush=True)
            night_lock.set_night(settings, token, night)
            code = _run_night(settings, night, token, rewind=args.rewind and number == 1, verbose=args.verbose)
            if code != 0:
                print(f"\nBackfill stopped at {night} ({number - 1} of {len(nights)} night(s) done); fix it and"
                      f" rerun `salesops backfill --from {night} --to {nights[-1]}`.", file=sys.stderr)
                return code
    print(f"\nBackfill done: {len(nights)} night(s) published.")
    return 0


def cmd_dbt(args: argparse.Namespace) -> int:
    from salesops.transform import dbt_tasks

    path = dbt_tasks.build_manifest(load_settings(), force=True)
    print(f"dbt manifest (Cosmos renders the DAG's dbt tasks from it): {path}")
    return 0


def cmd_maintenance(args: argparse.Namespace) -> int:
    from salesops.orchestration import night_lock

    settings = warehouse.ensure_available(load_settings())
    with night_lock.hold(settings, None, "salesops maintenance"):
        return _maintenance(args, settings)


def _maintenance(args: argparse.Namespace, settings: Settings) -> int:
    from salesops.orchestration import maintenance

    today = args.date or date.today()
    raw = maintenance.prune_raw(today, settings, days=args.retention_days)
    files = maintenance.prune_reports(today, settings, days=args.retention_days)
    print(f"retention before {raw.cutoff}: dropped {len(raw.partitions_dropped)} raw batch(es)"
          f" ({len(raw.partitions_kept)} older ones kept: still the latest version of some rows),"
          f" {raw.rejected_rows_deleted} quarantined row(s), {files} report file(s)")
    if not args.skip_vacuum:
        print(f"vacuum (analyze): {len(maintenance.vacuum_analyze(settings))} table(s)")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from salesops.orchestration import night_lock
    from salesops.publish import swap

    settings = warehouse.ensure_available(load_settings())
    with night_lock.hold(settings, None, "salesops rollback"):
        done = swap.rollback(settings)
    print(f"marts rolled back: it held the night of {done.live_before or 'an unknown night'}, it now holds"
          f" the night of {done.live_after} ({len(done.tables)} tables; `salesops rollback` again undoes this)")
    if args.verbose:
        for table in done.tables:
            print(f"  marts.{table.name}: {table.rows:,} rows")
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    from salesops.orchestration import night_lock

    cleared = night_lock.unlock(warehouse.ensure_available(load_settings()))
    print(f"cleared the lock: {night_lock.describe(cleared)}" if cleared else "the warehouse was not locked")
    return 0


def cmd_gx(args: argparse.Namespace) -> int:
    from salesops.orchestration import night_lock
    from salesops.quality import gx_project

    settings = warehouse.ensure_available(load_settings())
    if args.action == "sync":
        from salesops.quality.quality_gate import prepare_audit_views

        # the audit views are rebuilt for another night: never under a night's gate
        with night_lock.hold(settings, None, "salesops gx sync"):
            prepare_audit_views(settings, date(1970, 1, 1))
            names = gx_project.sync(settings)
        print(f"wrote {len(names)} suites, validation definitions and 2 checkpoints under {settings.gx_root}")
        if settings.uses_embedded_warehouse:  # started if it had to be; another clone's demo needs the port
            print(f"the embedded warehouse is still running at {settings.warehouse_url}"
                  " (stop it with: salesops db stop)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from salesops.report import night_page, run_summary

    settings = load_settings()
    summary = run_summary.summarize(settings, args.date)
    if not (summary.files or summary.checks or summary.published):
        raise SalesopsError(f"no run of night {args.date} is recorded here: nothing to report"
                            f" (salesops run --date {args.date} runs it)")
    print(run_summary.format_text(summary, verbose=args.verbose))
    print(f"\nreport: {night_page.write_night_report(settings, args.date)}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from salesops.orchestration import night_lock
    from salesops.transform import docs_site

    settings = warehouse.ensure_available(load_settings())
    with night_lock.hold(settings, None, "salesops docs"):  # dbt shares the night's target and parse cache
        site = docs_site.generate(settings, args.date)
    print(f"dbt docs (models, columns, tests, lineage): {site}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print a published table as a BI tool reads it: as bi_reader, in a read-only transaction (with
    --engineer, as the engineers' read-only login, which reads every schema and holds no other power)."""
    import psycopg2
    from psycopg2 import sql

    from salesops.publish import access

    settings = load_settings()
    if args.where and ";" in args.where:
        raise SalesopsError("--where takes one filter expression: ';' is not allowed")
    login = "the engineers' read-only login" if args.engineer else access.BI_ROLE
    url = access.engineer_url(settings) if args.engineer else access.bi_url(settings)
    try:
        conn = psycopg2.connect(url, application_name="salesops show")
    except psycopg2.OperationalError as exc:
        raise SalesopsError(f"cannot log in as {login} at {warehouse.redact(url)} (has a night run? is the warehouse"
                            f" up: `salesops db start`?): {str(exc).strip().splitlines()[-1]}") from exc
    conn.set_session(readonly=True)  # nothing a --where says can write
    qualified = f"{args.schema}.{args.table}"
    query = sql.SQL("select * from {}.{}").format(sql.Identifier(args.schema), sql.Identifier(args.table))
    try:
        with conn.cursor() as cur:
            cur.execute("set local statement_timeout = '120s'")
            try:
                cur.execute("select to_regclass(%s)", (qualified,))
                if cur.fetchone()[0] is None:
                    raise SalesopsError(f"no table {qualified} (has a night been published?)")
                cur.execute(query + sql.SQL(" limit 0"))
            except psycopg2.errors.InsufficientPrivilege:
                raise SalesopsError(f"{login} may not read {qualified}: BI reads marts and meta.dq_results only"
                                    " (--engineer shows what engineers may read, read-only)") from None
            width = len(cur.description)
            if args.where:  # on lines of its own: a trailing -- comment cannot swallow the order and limit
                query += sql.SQL(" where (\n") + sql.SQL(args.where) + sql.SQL("\n)")
            order = sql.SQL(", ").join(sql.Literal(i) for i in range(1, width + 1))  # every column, left to right
            try:
                cur.execute(query + sql.SQL(" order by {} limit {}").format(order, sql.Literal(args.limit)))
            except psycopg2.Error as exc:
                first = (exc.pgerror or str(exc)).strip().splitlines()[0]
                raise SalesopsError(f"--where {args.where!r} on {qualified}: {first}") from None
            names = [d.name for d in cur.description]
            rows = [["" if v is None else str(v) for v in row] for row in cur.fetchall()]
    finally:
        conn.close()
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    print(qualified)
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(v.rjust(w) if v[:1].isdigit() else v.ljust(w) for v, w in zip(row, widths, strict=True)))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Write synthetic landing extracts (full first night, then incremental nights)."""
    from salesops.generator import generate

    result = generate(args.out, args.scale, args.start, args.days, seed=args.seed, defect_rate=args.defect_rate,
                      show_progress=not args.quiet, skip=frozenset(args.skip))
    total = sum(result.rows.values())
    print(f"wrote {total:,} rows for {len(result.nights)} night(s) ({result.nights[0]} .. {result.nights[-1]})"
          f" under {args.out} in {result.seconds:.1f}s")
    for name, rows in sorted(result.rows.items()):
        print(f"  {name:<32} {rows:>12,}")
    print(f"planted defects: {result.manifest}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """Score the forecasts on generated data, every accuracy day since 2024 rebuilt as it stood."""
    from salesops.forecast import backtest

    settings = warehouse.ensure_available(load_settings())
    scores = []
    for seed in args.seed or [42]:
        print(f"backtest: scale {args.scale:g}, seed {seed} ...", flush=True)
        landing = backtest.landing_for(args.data, args.scale, seed)
        scores += backtest.run(settings, landing, seed)
    text = backtest.table(scores, args.scale)
    print(text)
    if args.docs:
        doc = settings.project_dir / "docs" / "forecasts.md"
        backtest.write_doc(doc, text)
        print(f"written into {doc}")
    return 0 if not backtest.misses(scores) else 1


def cmd_convert_maven(args: argparse.Namespace) -> int:
    """Maven Analytics' CRM practice dataset as one night's landing extracts (salesops.ingest.realdata_maven)."""
    from salesops.ingest import realdata_maven

    result = realdata_maven.convert(args.src, args.out, args.night, args.quarterly_quota)
    print(f"wrote the night {result.night} under {args.out}:")
    for name, rows in result.rows.items():
        print(f"  {name:<32} {rows:>8,}")
    print("what the source has that the gates should see:")
    for finding in result.findings:
        print(f"  - {finding}")
    print("how it was mapped:")
    for note in realdata_maven.MAPPING_NOTES:
        print(f"  - {note}")
    print(f"next: SALESOPS_LANDING_DIR={args.out} salesops run --date {result.night}")
    return 0


def _verbose_listing(command: argparse.ArgumentParser) -> None:
    """`-v` after the command as well as before it; SUPPRESS: absent here, it leaves the global flag as given."""
    command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="list every table published (and log progress at INFO level)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salesops", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the embedded warehouse")
    db.add_argument("action", choices=["start", "stop", "status", "url", "env", "grant-bi"],
                    help="grant-bi: create the bi_reader login (SALESOPS_BI_PASSWORD), read-only on marts")
    db.set_defaults(func=cmd_db)

    run = sub.add_parser("run", help="run the nightly DAG for one date through Airflow")
    run.add_argument("--date", type=_date, required=True, help="the night (logical date), YYYY-MM-DD")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild every mart from scratch (after a change to an incremental model)")
    run.add_argument("--rewind", action="store_true",
                     help="publish this night even though marts holds a later one (moves BI back in time)")
    run.add_argument("--forecast-backfill-from", type=_date, metavar="DATE",
                     help="also forecast as of every accuracy day (period starts, 30 days before ends) since DATE,"
                          " rebuilt from the history as it stood on each day")
    _verbose_listing(run)
    run.set_defaults(func=cmd_run)

    backfill = sub.add_parser("backfill", help="run the nightly DAG for every night of a range, oldest first")
    _verbose_listing(backfill)
    backfill.add_argument("--from", dest="from_date", type=_date, required=True, help="first night, YYYY-MM-DD")
    backfill.add_argument("--to", dest="to_date", type=_date, required=True, help="last night (included)")
    backfill.add_argument("--rewind", action="store_true",
                          help="start even though marts holds a later night (BI sees the older nights meanwhile)")
    backfill.set_defaults(func=cmd_backfill)

    dbt = sub.add_parser("dbt", help="dbt helpers")
    dbt.add_argument("action", choices=["manifest"], help="manifest: (re)build dbt_project/target/manifest.json")
    dbt.set_defaults(func=cmd_dbt)

    maint = sub.add_parser("maintenance", help="retention and vacuum now (what salesops_maintenance does weekly)")
    maint.add_argument("--date", type=_date, help="count the retention back from this day (default: today)")
    maint.add_argument("--retention-days", type=_days, help="default: SALESOPS_RETENTION_DAYS, else 400")
    maint.add_argument("--skip-vacuum", action="store_true")
    maint.set_defaults(func=cmd_maintenance)

    gen = sub.add_parser("generate", help="write synthetic CRM, contract and HR extracts")
    gen.add_argument("--scale", type=float, default=0.001,
                     help="1 = 200k accounts, 2M leads, 1M opportunities, 5M activities, 3,000 employees")
    gen.add_argument("--start", type=_date, required=True, help="the first night (full extract), YYYY-MM-DD")
    gen.add_argument("--days", type=int, default=1, help="number of nights (the later ones are incremental)")
    gen.add_argument("--out", type=Path, required=True, help="landing folder to write")
    gen.add_argument("--seed", type=int, default=42, help="same seed, same bytes")
    gen.add_argument("--defect-rate", type=float, default=0.002, help="share of rows with a planted defect (0: none)")
    gen.add_argument("--skip", type=_date, action="append", default=[], metavar="NIGHT",
                     help="a night the sources do not deliver (repeatable): the next extract carries its changes")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=cmd_generate)

    backtest = sub.add_parser("backtest", help="score the forecasts on generated data (a home of its own: its"
                              " warehouse's schemas are emptied)")
    backtest.add_argument("--scale", type=float, default=0.1)
    backtest.add_argument("--seed", type=int, action="append", help="repeatable (default 42)")
    backtest.add_argument("--data", type=Path, default=Path("bench/data/backtest"), help="where generated data is kept")
    backtest.add_argument("--docs", action="store_true", help="write the table into docs/forecasts.md")
    backtest.set_defaults(func=cmd_backtest)

    maven = sub.add_parser("convert-maven", help="write Maven Analytics' CRM dataset as one night's extracts")
    maven.add_argument("--src", type=Path, required=True, help="the dataset's folder (accounts.csv, ...)")
    maven.add_argument("--out", type=Path, required=True, help="landing folder to write")
    maven.add_argument("--night", type=_date, help="the extract's night (default: the last close date)")
    maven.add_argument("--quarterly-quota", type=float, metavar="USD",
                       help="the dataset has no quotas: give every agent this flat quarterly bookings quota"
                            " (a stand-in; without it the quota KPIs are empty, with a warning saying why)")
    maven.set_defaults(func=cmd_convert_maven)

    rollback = sub.add_parser("rollback", help="put the previous marts back (swap with marts_previous)")
    _verbose_listing(rollback)
    rollback.set_defaults(func=cmd_rollback)

    unlock = sub.add_parser("unlock", help="clear the night lock a run that died left behind (never a live one's)")
    unlock.set_defaults(func=cmd_unlock)

    gx = sub.add_parser("gx", help="Great Expectations project")
    gx.add_argument("action", choices=["sync"], help="sync: regenerate suites from the contracts")
    gx.set_defaults(func=cmd_gx)

    rep = sub.add_parser("report", help="print a night's summary and rewrite its HTML report")
    rep.add_argument("--date", type=_date, required=True)
    _verbose_listing(rep)
    rep.set_defaults(func=cmd_report)

    docs = sub.add_parser("docs", help="write the dbt documentation site (one static page) next to the reports")
    docs.add_argument("--date", type=_date, help="the night to document (default: the last published one)")
    docs.set_defaults(func=cmd_docs)

    show = sub.add_parser("show", help="print a published marts table, read-only, as BI reads it")
    show.add_argument("table")
    show.add_argument("--schema", default=PUBLISHED_SCHEMA)
    show.add_argument("--where", help="SQL filter, e.g. \"period_type = 'quarter'\"")
    show.add_argument("--limit", type=int, default=50)
    show.add_argument("--engineer", action="store_true",
                      help="read as the engineers' read-only login: what BI may not read, e.g. --schema raw")
    show.set_defaults(func=cmd_show)
    return parser


_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x20), *range(0x7f, 0xa0)) if chr(code) not in "\n\t"}


class _TerminalSafe:
    """An output stream that writes control characters (an ESC sequence in a file name or a value from a landing
    file) as visible escapes: what the CLI prints can neither retitle nor repaint the user's terminal."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(text.translate(_CONTROL))

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _days(text: str) -> int:
    """A number of days, 0 or more (argparse type)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of days, 0 or more, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # what the CLI and its Airflow runs write under SALESOPS_HOME is its owner's alone
    sys.stdout, sys.stderr = _TerminalSafe(sys.stdout), _TerminalSafe(sys.stderr)
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        warehouse.secure_home(load_settings())
        return args.func(args)
    except SalesopsError as exc:
        print(f"salesops: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other commands do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
