"""The warehouse: one SQLAlchemy URL, DuckDB by default and PostgreSQL in production, same code."""
