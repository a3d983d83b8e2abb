"""Time for a busy machine to start the temporary API server a Prefect flow starts as a child process when no
PREFECT_API_URL is set. On 2 cores shared with other jobs it took longer than Prefect's default 20 s to come up, and
the run failed before it began («Timed out while attempting to connect to ephemeral Prefect API server»): the weekly
report, and `process --cluster` while a demo ran beside it. Set before Prefect is imported, for every flow and Dask
worker; a value the environment already holds is kept."""
import os

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
