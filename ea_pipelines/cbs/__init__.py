"""Client for CBS open data (OData v4 and v3). Knows nothing of Dagster or the warehouse."""
