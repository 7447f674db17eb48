"""Dagster definitions: thin wrappers generated from the catalogues."""
