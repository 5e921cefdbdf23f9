"""The committed GX suites are exactly what the contracts and thresholds generate (no drift)."""

from __future__ import annotations

import json

from salesops.config import load_settings
from salesops.quality.gx_project import CHECKPOINTS, committed_expectations, committed_ids, expectation_key, suite_file
from salesops.quality.quality_suites import all_suites


def test_every_suite_file_matches_the_contracts():
    settings = load_settings()
    generated = all_suites(settings.gx_root)
    on_disk = {p.stem for p in (settings.gx_root / "expectations").glob("*.json")}
    assert on_disk == set(generated), "run `make gx-sync` and commit expectations/"
    for name, expectations in generated.items():
        assert committed_expectations(settings, name) == json.loads(json.dumps(expectations)), (
            f"{suite_file(settings, name)} is stale: run `make gx-sync`"
        )


def test_a_sync_keeps_the_ids_of_unchanged_suites_and_expectations():
    # `gx sync` gives each generated expectation the id its committed twin has, so a sync with nothing
    # changed rewrites no file; the generated kwargs say 0 where the files hold 0.0
    settings = load_settings()
    for name, expectations in all_suites(settings.gx_root).items():
        suite_id, ids = committed_ids(settings, name)
        assert suite_id, name
        assert sorted(ids.get(expectation_key(e)) or "missing" for e in expectations) == sorted(ids.values()), name


def test_every_expectation_has_a_severity_and_checkpoints_cover_every_suite():
    settings = load_settings()
    generated = all_suites(settings.gx_root)
    for expectations in generated.values():
        assert all(e["severity"] in ("critical", "warning") for e in expectations)
    covered = set()
    for checkpoint in CHECKPOINTS.values():
        data = json.loads((settings.gx_root / "checkpoints" / f"{checkpoint}.json").read_text())
        covered |= {v["name"] for v in data["validation_definitions"]}
        assert data["actions"] == []  # the gate builds Data Docs once per run, not once per suite
    assert covered == set(generated)


def test_the_incremental_facts_are_checked_on_the_nights_rows_and_the_assets_point_there():
    import yaml

    from salesops.quality.quality_suites import MARTS, mart_check_views_sql

    sliced = {m.table: m.night_column for m in MARTS if m.night_column}
    assert sliced == {"fct_activities": "batch_date", "fct_opportunity_stage_changes": "loaded_through",
                      "fct_pipeline_daily": "snapshot_date", "fct_opportunities": "loaded_through",
                      "fct_leads": "loaded_through", "fct_contracts": "loaded_through",
                      "kpi_activity": "loaded_through",  # every row of the weeks it wrote (below)
                      # KPIs that gain a snapshot a night
                      "kpi_weighted_pipeline": "snapshot_date", "kpi_pipeline_coverage": "snapshot_date"}
    views = "\n".join(mart_check_views_sql("2026-11-21", "marts_build"))
    for table, column in sliced.items():
        written = (f"week_start = any(array(select distinct written.week_start from marts_build.kpi_activity as"
                   f" written where written.{column} = '2026-11-21'))" if table == "kpi_activity"
                   else f"{column} = '2026-11-21'")
        assert (f"create view audit.marts__{table} as\n        select * from (\n"
                f"            select * from marts_build.{table} where {written} offset 0") in views
    # a night that wrote a whole fact (a full build) reads it through a plain view
    whole = "\n".join(mart_check_views_sql("2026-11-21", "marts_build", frozenset(sliced)))
    for table in sliced:
        assert f"view audit.marts__{table} as\n        select * from marts_build.{table} where" in whole
    assets = yaml.safe_load((load_settings().gx_root / "great_expectations.yml").read_text())
    assets = assets["fluent_datasources"]["warehouse"]["assets"]
    for table in sliced:
        assert (assets[f"marts__{table}"]["schema_name"], assets[f"marts__{table}"]["table_name"]) == (
            "audit", f"marts__{table}")
    assert (assets["marts__kpi_win_rate"]["schema_name"], assets["marts__kpi_win_rate"]["table_name"]) == (
        "marts_build", "kpi_win_rate")  # a KPI table is checked whole


def test_the_mart_tests_left_out_of_the_nightly_build_are_checks_the_gate_makes_as_strictly():
    """Each dbt test the nightly build leaves to the mart gate has its twin, critical, in that mart's
    suite, on the same rows; restricted pay (no gate suite), tests scoped by `where` and the whole-table
    tests of a fact the gate checks on the night's rows keep their dbt test."""
    from salesops.quality.quality_suites import tests_the_mart_gate_repeats
    from salesops.transform import dbt_tasks

    settings = load_settings()
    manifest = json.loads(dbt_tasks.manifest_path(settings).read_text())
    suites = all_suites(settings.gx_root)
    left_out = set(tests_the_mart_gate_repeats(manifest, settings.gx_root))
    tests = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    for name in left_out:
        node, metadata = tests[name], tests[name]["test_metadata"]
        kwargs, mart = metadata["kwargs"], node["attached_node"].rpartition(".")[2]
        twin = {"unique": ("expect_column_values_to_be_unique", {"column": kwargs.get("column_name")}),
                "unique_combination": ("expect_compound_columns_to_be_unique", {"column_list": kwargs.get("columns")})
                if len(kwargs.get("columns") or ()) > 1 else
                ("expect_column_values_to_be_unique", {"column": (kwargs.get("columns") or [None])[0]}),
                "not_null": ("expect_column_values_to_not_be_null", {"column": kwargs.get("column_name")}),
                "between": ("expect_column_values_to_be_between",
                            {"column": kwargs.get("column_name"), "min_value": kwargs.get("min_value"),
                             "max_value": kwargs.get("max_value")})}[metadata["name"]]
        expected = (twin[0], {k: v for k, v in twin[1].items() if v is not None})
        found = [(e["type"], e["kwargs"]) for e in suites[f"marts__{mart}"] if e["severity"] == "critical"]
        assert expected in found, (name, expected)
    assert not any(tests[n]["original_file_path"].startswith("models/marts/restricted") for n in left_out)
    assert not any(tests[n]["config"].get("where") for n in left_out)
    # the tables that gain a snapshot a night: their grain and range tests read the night's snapshot, as
    # the gate does (its twins, left to it), and their other tests read only that snapshot too
    assert "unique_combination_fct_pipeline_daily_snapshot_date__opportunity_id__snapshot_date" in left_out
    for table, count in (("fct_pipeline_daily", 6), ("kpi_weighted_pipeline", 9), ("kpi_pipeline_coverage", 7)):
        daily = [n for n in tests.values() if n.get("attached_node") == f"model.salesops.{table}"]
        assert len(daily) == count, table
        for node in daily:
            kept = node["config"].get("where") == "snapshot_date = __night__"
            assert (node["name"] in left_out) != kept, node["name"]
            assert kept or node["test_metadata"]["kwargs"].get("night_batch_column") == "snapshot_date"
    assert "unique_dim_accounts_account_id" in left_out and "between_kpi_win_rate_win_rate__1__0" in left_out
    assert not {n for n in left_out if not n.startswith(("between_", "unique_", "not_null_"))}
    # what stays in dbt: relationships, accepted values, tests of staging and intermediate
    kept = set(tests) - left_out
    assert {"relationships", "accepted_values"} <= {tests[n]["test_metadata"]["name"] for n in kept
                                                   if tests[n].get("test_metadata")}
    # the nightly build leaves out exactly these: the tests tagged in the YAML as the gate's twins
    tagged = {n for n, node in tests.items() if dbt_tasks.GATE_REPEATS_TAG in node["tags"]}
    assert tagged == left_out, ("tag these", sorted(left_out - tagged), "untag these", sorted(tagged - left_out))
