"""Run a GX checkpoint's validation definitions in worker processes, one whole suite at a time.

A checkpoint validates its suites one after another, and most of a suite's time is GX's own Python (metric graphs,
result serialization), so a second core sits idle. The parent opens the checkpoint and forks the workers before
anything connects to the warehouse: they inherit GX imported and the suites loaded (no import, no context opened in
each), and each makes its own connections. Each worker runs a suite's validation definition with the checkpoint's
result format and the gate's run id, and GX stores the result as the checkpoint would (made safe for people first:
salesops.quality.gx_safety); the caller builds Data Docs once from the returned keys.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)


@dataclass
class SuiteRun:
    suite: str
    result_key: tuple  # ValidationResultIdentifier.to_tuple(), for Data Docs
    checks: list  # what `convert` made of each expectation result


_worker: dict = {}  # the checkpoint being run, its definitions by name, run id, convert (inherited by the workers)


def _validate(name: str) -> SuiteRun:
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from salesops.quality import gx_safety

    checkpoint, definition, run_id = _worker["checkpoint"], _worker["definitions"][name], _worker["run_id"]
    result = definition.run(checkpoint_id=checkpoint.id, result_format=checkpoint.result_format, run_id=run_id)
    suite = definition.suite.name
    key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite),
                                     run_id=run_id, batch_identifier=result.batch_id)
    checks = [_worker["convert"](suite, r) for r in result.results]  # from the real values (the gate redacts)
    if gx_safety.make_safe(suite, result):  # what Data Docs render: stored again over GX's own copy
        _worker["results_store"].set(key, result)
    return SuiteRun(suite, key.to_tuple(), checks)


def _as_worker() -> None:
    # a worker forked from an Airflow task inherits the task's SIGTERM handler, which reports to the
    # task's supervisor: a worker just ends
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_checkpoint(context, checkpoint_name: str, run_name: str, run_time: datetime,  # noqa: ANN001 - GX context
                   convert: Callable, workers: int) -> list[SuiteRun]:
    """Every validation definition of the checkpoint, in its order; `convert(suite, result)` turns an
    expectation result into what the caller keeps (picklable). `context` must not have validated yet
    in parallel mode: its connections would be shared with the workers."""
    from great_expectations.core.run_identifier import RunIdentifier

    checkpoint = context.checkpoints.get(checkpoint_name)
    _worker.update(checkpoint=checkpoint, convert=convert, run_id=RunIdentifier(run_name=run_name, run_time=run_time),
                   definitions={d.name: d for d in checkpoint.validation_definitions},
                   results_store=context.validation_results_store)
    names = list(_worker["definitions"])
    runs: list[SuiteRun] = []

    def progress(run: SuiteRun) -> None:
        runs.append(run)
        log.info("%s: %d/%d suites validated (%s)", checkpoint_name, len(runs), len(names), run.suite)

    if workers <= 1 or len(names) <= 1:
        for name in names:
            progress(_validate(name))
        return runs
    gc.collect()  # no unreachable connection of an earlier run left for a worker to close on the parent
    # an executor, not a Pool: a worker killed (out of memory) fails the gate (BrokenProcessPool) where a
    # Pool would wait for its result forever; one suite per dispatch keeps the workers evenly loaded
    with ProcessPoolExecutor(min(workers, len(names)), mp_context=multiprocessing.get_context("fork"),
                             initializer=_as_worker) as pool:
        for run in pool.map(_validate, names):
            progress(run)
    return runs
