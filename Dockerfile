# Airflow 3 image with the salesops package, dbt and Great Expectations, pinned by requirements.lock.
FROM apache/airflow:3.3.2-python3.11

USER root
RUN mkdir -p /opt/salesops/home /opt/salesops/landing && chown -R airflow:root /opt/salesops
USER airflow
COPY --chown=airflow:root . /opt/salesops/project
WORKDIR /opt/salesops/project
RUN pip install --no-cache-dir --constraint requirements.lock --editable .
ENV SALESOPS_PROJECT_DIR=/opt/salesops/project
