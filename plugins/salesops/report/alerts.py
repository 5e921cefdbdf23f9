"""On-failure alerting for the nightly DAG: always a log line, optionally a webhook POST."""

from __future__ import annotations

import json
import logging
import urllib.request

from salesops.config import load_settings

log = logging.getLogger(__name__)


def failure_message(context: dict) -> str:
    ti = context.get("task_instance") or context.get("ti")
    task = getattr(ti, "task_id", "?")
    dag = getattr(ti, "dag_id", "?")
    run = context.get("run_id", "?")
    error = context.get("exception")
    return f"salesops: task {dag}.{task} failed for run {run}: {error}"


def on_task_failure(context: dict) -> None:
    """Airflow on_failure_callback: log the failure and POST it to SALESOPS_ALERT_WEBHOOK_URL if set."""
    send_alert(failure_message(context))


def send_alert(message: str) -> None:
    """Log the message as an error and POST `{"text": message}` to SALESOPS_ALERT_WEBHOOK_URL if set."""
    log.error(message)
    url = load_settings().on_failure_webhook
    if not url:
        return
    if not url.startswith(("https://", "http://")):
        log.error("SALESOPS_ALERT_WEBHOOK_URL must be an http(s) URL; alert not sent")
        return
    body = json.dumps({"text": message}).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - scheme checked above
            pass
    except OSError as exc:  # an alert that cannot be sent must not mask the original failure
        log.error("could not send the failure alert to the webhook: %s", exc)
