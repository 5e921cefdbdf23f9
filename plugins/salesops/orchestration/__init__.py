"""The night as Airflow runs it: the DAGs' building blocks, the steps their tasks call, the night lock,
maintenance, and a private Airflow home for `salesops run`."""
