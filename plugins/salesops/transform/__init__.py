"""dbt: running it in-process, the Cosmos task groups, the docs site."""
