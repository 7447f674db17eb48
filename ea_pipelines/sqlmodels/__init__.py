"""A small dbt-like runner: plain SQL select files with ref() and source(), built in dependency order."""
