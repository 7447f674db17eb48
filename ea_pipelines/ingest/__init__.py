"""Loads that tie a source to the warehouse. No Dagster here: the assets call these functions."""
