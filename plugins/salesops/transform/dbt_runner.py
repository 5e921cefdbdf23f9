"""Run the dbt project in-process (dbtRunner spares each call a new process and dbt's imports)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from salesops.config import BUILD_SCHEMA, Settings, dbt_env
from salesops.errors import DataError, SalesopsError

log = logging.getLogger(__name__)


class DbtError(SalesopsError):
    """dbt reported failing models (may be transient: the task retries)."""


class DbtTestFailure(DbtError, DataError):
    """Only dbt data tests failed: the data is wrong, retrying cannot help."""


NODE_COMMANDS = ("build", "run", "test", "snapshot", "seed")  # the commands that run nodes, not describe them


@dataclass
class DbtOutcome:
    command: str
    success: bool
    nodes: dict[str, int]  # status -> count
    failures: list[str]


def run_dbt(settings: Settings, command: list[str], night: date | None = None, build_schema: str = BUILD_SCHEMA,
            raise_on_failure: bool = True, extra_vars: dict | None = None,
            target_path: Path | None = None) -> DbtOutcome:
    """Run a dbt command against the warehouse for a night; raise DbtError naming failed nodes."""
    from dbt.cli.main import dbtRunner

    os.environ.update(dbt_env(settings))
    # plain text: the CLI shows control characters as escapes, and task logs are read as files
    os.environ["DBT_USE_COLORS"] = "false"
    target = target_path or settings.dbt_target_dir
    args = [
        *command,
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_project_dir),
        "--target-path", str(target),
        "--log-path", str(settings.home / "dbt_logs"),
    ]
    if night is not None:
        # The night goes in the environment, not in --vars: a changed var makes dbt re-parse the whole
        # project, and the night changes every night (macros/utils/night.sql).
        os.environ["SALESOPS_NIGHT"] = night.isoformat()
        args += ["--vars", json.dumps({"build_schema": build_schema, **(extra_vars or {})})]
    runs_nodes = command[0] in NODE_COMMANDS
    if runs_nodes:
        # manifest.json (written twice) and graph.gpickle are for tools reading the project, and the
        # one Cosmos renders from is built apart (salesops dbt manifest): writing them costs every invocation
        args.append("--no-write-json")
    log.info("dbt %s", " ".join(args))
    result = dbtRunner().invoke(args)
    if runs_nodes and hasattr(result.result, "write"):
        # what ran, and how long each node took, where dbt keeps it (target/run_results.json)
        result.result.write(str(target / "run_results.json"))
    nodes: dict[str, int] = {}
    failures: list[str] = []
    errors = 0
    for node in getattr(result.result, "results", None) or []:
        status = str(getattr(node.status, "value", node.status))
        nodes[status] = nodes.get(status, 0) + 1
        if status in ("error", "fail", "runtime error"):
            failures.append(f"{node.node.unique_id}: {(node.message or status).strip()}")
            errors += status != "fail"
    outcome = DbtOutcome(" ".join(command), bool(result.success), nodes, failures)
    if not result.success and raise_on_failure:
        detail = "; ".join(failures) or str(result.exception or "see the dbt log")
        kind = DbtTestFailure if failures and not errors else DbtError
        raise kind(f"dbt {outcome.command} failed: {detail}")
    return outcome
