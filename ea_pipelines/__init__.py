"""ea-pipelines: data platform for the programme "Economie en Arbeidsmarkt"."""
