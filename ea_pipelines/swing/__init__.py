"""Client of a Swing Open Data Service (ABF Research; Kennispunt Twente's "Twente in cijfers"). Knows nothing of
Dagster: the definitions layer (``ea_pipelines.defs.swing_assets``) calls it."""
