from pipelines import offline  # noqa: F401  (must run before Prefect or model libraries are imported)
from pipelines import prefect_server  # noqa: F401  (likewise)
