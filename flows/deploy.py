"""The entrypoint `prefect deploy` uses (prefect.yaml): the ingest flow with the task runner the settings ask for.

prefect.yaml cannot call a function, so this module builds the configured flow when Prefect imports it.
"""

from flows.ingest import configured_flow

ingest = configured_flow()
