"""Developer tools: a fake CBS OData server and the snapshot builder. Never used by the pipeline itself."""
