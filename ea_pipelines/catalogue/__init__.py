"""Declarative catalogues: which CBS tables to fetch, for which municipality and comparison regions."""
