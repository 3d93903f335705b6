"""Airflow DAG: the model lifecycle, the IPR Guard nightly for each day, weekly maintenance (spark-submit via Bash).

For day D: `train --if-due` for D-1 (the data the previous run published; it trains only when the
champion is missing, `model.retrain_every_days` old or drifted), `promote` for D-1 (the gate, then the
`champion` alias), then the nightly for D, which only scores with the champion, then the store networks
of D (`networks`, after a published nightly only). The nightly runs even
when the lifecycle tasks failed (trigger rule all_done): the list is then scored by the champion as it
was, and the failed task shows in the DAG run.

Deployed to the scheduler's dags/ folder. The edge-node layout is the cron example's
(deploy/cron/ipr-guard.cron): /opt/ipr-guard holds ipr_guard.zip (`make zip`), jobs/ and jars.txt
(`ipr-guard jars` output, Delta's jars copied to the edge node). Secrets come from the worker's
environment (IPR_GUARD_HMAC_KEY, MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD), never from this file.

`data_interval_end` is the local midnight closing day D, so `ds` (the interval's start) is D: the nightly
for D runs once the deliveries of D are complete. max_active_runs=1 keeps catch-up runs in order; the
lakehouse lock would refuse a second one anyway.
"""
from __future__ import annotations

import datetime as dt

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator  # Airflow 3: airflow.providers.standard.operators.bash

HOME = "/opt/ipr-guard"
SUBMIT = (
    "cd " + HOME + " && $SPARK_HOME/bin/spark-submit --master spark://spark-master.internal:7077 "
    "--deploy-mode client --jars \"$(cat jars.txt)\" --py-files ipr_guard.zip "
    "--conf spark.executor.memory=8g --conf spark.executor.cores=4 "
)

with DAG(
    dag_id="ipr_guard_nightly",
    description="Ingest the marketplace's feeds, publish enforcement KPIs and closure candidates",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 11, 1, tz="Asia/Shanghai"),
    catchup=True,
    max_active_runs=1,
    default_args={"owner": "trust-safety", "retries": 1, "retry_delay": dt.timedelta(minutes=30),
                  "execution_timeout": dt.timedelta(hours=4)},
    tags=["ipr-guard", "spark"],
) as dag:
    train = BashOperator(
        task_id="train",
        bash_command=SUBMIT + "jobs/train.py --env cluster --if-due --date {{ macros.ds_add(ds, -1) }}",
        env={"SPARK_HOME": "/opt/spark"},
        append_env=True,
    )
    promote = BashOperator(
        task_id="promote",
        # The registry only (no Spark job); spark-submit for the same Python environment as the others.
        bash_command=SUBMIT + "jobs/promote.py --env cluster --date {{ macros.ds_add(ds, -1) }}",
        env={"SPARK_HOME": "/opt/spark"},
        append_env=True,
    )
    nightly = BashOperator(
        task_id="nightly",
        bash_command=SUBMIT + "jobs/nightly.py --env cluster --date {{ ds }}",
        env={"SPARK_HOME": "/opt/spark"},
        append_env=True,
        trigger_rule="all_done",
    )
    networks = BashOperator(
        task_id="networks",
        bash_command=SUBMIT + "jobs/networks.py --env cluster --date {{ ds }}",
        env={"SPARK_HOME": "/opt/spark"},
        append_env=True,
    )
    maintain = BashOperator(
        task_id="maintain",
        bash_command=("if [ {{ logical_date.in_timezone('Asia/Shanghai').day_of_week }} -eq 0 ]; then "
                      + SUBMIT + "jobs/maintain.py --env cluster --date {{ ds }}; fi"),
        env={"SPARK_HOME": "/opt/spark"},
        append_env=True,
    )
    train >> promote >> nightly >> networks >> maintain
