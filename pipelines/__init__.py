from pipelines import offline  # noqa: F401  (must run before Prefect or model libraries are imported)
