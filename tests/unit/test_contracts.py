from salesops.contracts import COLUMN_TYPES, ENTITIES, SOURCES, STAGES, entity


def test_every_extract_of_the_spec_has_a_contract():
    expected = {
        "crm": {"accounts", "users", "leads", "opportunities", "opportunity_history", "activities", "fx_rates"},
        "contracts": {"contracts", "contract_events"},
        "hr": {"employees", "territory_assignments", "quotas", "compensation_plans", "training_completions"},
    }
    for source in SOURCES:
        assert {e.name for e in ENTITIES if e.source == source} == expected[source]


def test_contracts_are_consistent():
    for ent in ENTITIES:
        names = ent.column_names
        assert len(names) == len(set(names)), ent.key
        for key in ent.primary_key:
            assert key in names and not ent.column(key).nullable, (ent.key, key)
        for col in ent.columns:
            assert col.type in COLUMN_TYPES
        for earlier, later in ent.ordered_pairs:
            assert earlier in names and later in names


def test_stage_order_matches_the_spec():
    assert STAGES[:5] == ("prospecting", "qualification", "discovery", "proposal", "negotiation")
    assert entity("crm", "opportunities").column("stage").allowed == STAGES


def test_dbt_stage_defaults_are_the_contracts():
    """The stage default probabilities dbt applies (a missing CRM probability) are SPEC's, as contracts.py has them."""
    import ast
    import re

    from salesops.config import PROJECT_DIR
    from salesops.contracts import STAGE_PROBABILITY

    macro = (PROJECT_DIR / "dbt_project" / "macros" / "utils" / "stage_default_probabilities.sql").read_text()
    table = re.search(r"return\((\{.*?\})\)", macro, re.S).group(1)
    assert ast.literal_eval(table) == STAGE_PROBABILITY
