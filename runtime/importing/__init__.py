"""``passerelle import-files``: a Mission's existing files (CSV or XLSX) brought in through the services' rules.

``layout`` (the documented columns and cell formats), ``reading`` (files and sheets into tables), ``rows`` (a
row into the services' payloads, checked by their schemas), ``run`` (transactions, progress, report).
"""
