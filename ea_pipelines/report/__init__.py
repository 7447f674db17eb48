"""The council report (raadsrapportage): HTML and PDF in Dutch, built from the ``marts`` schema only."""
