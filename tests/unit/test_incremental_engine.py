"""Every incremental model declares its strategy through the engine's configuration, and none wires an engine
step in through a hook of its own (macros/incremental/incremental_engine.sql, docs/incremental.md)."""
import ast
import functools
import json
import re

from salesops.config import PROJECT_DIR, load_settings
from salesops.transform import dbt_tasks

ENGINE_MACROS = PROJECT_DIR / "dbt_project" / "macros" / "incremental"
ENGINE_STEPS = ("empty_unless_moving_forward", "remove_keys_gone_since_built", "remove_keys_rewritten_since",
                "prepare_keys_to_rewrite", "record_replaced_rows", "record_credited_users", "prepare_deltas",
                "drop_empty_keys", "prepare_periods_to_rebuild", "delete_weeks_to_rebuild")


def _strategies() -> dict[str, list[str]]:
    """The strategies and options the engine accepts, read from its own macro (the one owner of the list)."""
    text = (ENGINE_MACROS / "incremental_engine.sql").read_text()
    literal = re.search(r"macro incremental_engine_strategies\(\).*?return\((\{.*?\})\) \}\}", text, re.S).group(1)
    return ast.literal_eval(literal)


@functools.cache
def _manifest() -> dict:
    settings = load_settings()
    dbt_tasks.build_manifest(settings)  # a model edited since the last parse is read as it is now
    return json.loads(dbt_tasks.manifest_path(settings).read_text())


def _models() -> list[dict]:
    return [node for node in _manifest()["nodes"].values() if node["resource_type"] == "model"]


def test_every_incremental_model_names_a_known_strategy_with_known_options():
    strategies = _strategies()
    assert set(strategies) == {"latest_versions", "by_key", "by_deltas", "by_period", "by_slice"}
    incremental = [model for model in _models() if model["config"]["materialized"] == "incremental"]
    assert len(incremental) >= 30
    for model in incremental:
        engine = model["config"].get("incremental_engine") or {}
        assert engine.get("strategy") in strategies, model["name"]
        assert set(engine) - {"strategy"} <= set(strategies[engine["strategy"]]), model["name"]
        if engine["strategy"] == "by_period":
            assert model["config"]["incremental_strategy"] == "append", model["name"]
    others = [model["name"] for model in _models()
              if model["config"]["materialized"] != "incremental" and model["config"].get("incremental_engine")]
    assert others == []


def test_no_model_wires_an_engine_step_through_a_hook_of_its_own():
    for model in _models():
        hooks = [hook["sql"] for hook in model["config"]["pre-hook"] + model["config"]["post-hook"]]
        assert "{{ incremental_engine_before() }}" in hooks, model["name"]
        assert "{{ incremental_engine_after() }}" in hooks, model["name"]
        wired = [step for step in ENGINE_STEPS for hook in hooks if step in hook]
        assert wired == [], (model["name"], wired)


def test_the_engine_steps_are_called_from_the_engine_only():
    """A step macro named anywhere in the models would be a strategy declared outside the configuration."""
    for path in (PROJECT_DIR / "dbt_project" / "models").rglob("*.sql"):
        text = path.read_text()
        called = [step for step in ENGINE_STEPS if re.search(rf"\b{step}\(", text)]
        assert called == [], (path.name, called)


def test_what_the_engine_names_exists_and_is_a_dependency_dbt_sees():
    """The engine calls `ref` and the `rewrites` macro only when a model runs incrementally: a wrong name, or a
    model dbt did not see as a dependency when parsing, would fail only on the first incremental night."""
    manifest = _manifest()
    macros = {macro["name"] for macro in manifest["macros"].values()}
    for model in _models():
        engine = model["config"].get("incremental_engine") or {}
        read = {engine.get(option) for option in ("removes_gone_from", "follows", "fact")} - {None}
        if engine.get("credits_users"):
            read.add("int_rep_identities_matched")
        depends_on = {node.rpartition(".")[2] for node in model["depends_on"]["nodes"]}
        assert read <= depends_on, (model["name"], read - depends_on)
        if engine.get("rewrites"):
            assert engine["rewrites"] in macros, (model["name"], engine["rewrites"])
