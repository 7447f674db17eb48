"""Data quality: expectation suites built from the catalogues, run with Great Expectations 1.x."""
