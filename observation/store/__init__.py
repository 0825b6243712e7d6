"""Where a study is kept, one module per concern; ``observation.db`` is the façade the rest of the
product calls.

- ``location``: a study's location (a file, or a PostgreSQL connection string) and how it is shown.
- ``shape``: the schema scripts and the lists of tables.
- ``migrations``: each change of shape, written once as a pair (DuckDB, PostgreSQL).
- ``backend``: the ``Backend`` interface (open, migrate, begin and finish a write, ids, data
  version), which backend opened a connection, and what the backends share.
- ``cursor``: the one lookup from a connection or cursor to its backend, and the cursor every unit
  of work takes, which turns DuckDB's read errors into an ObservationError.
- ``study_file``, ``postgres``: the backends (a study file, plain or encrypted; PostgreSQL).
- ``convert``: encrypting and decrypting a study file in place.
- ``at_rest``: what an interrupted command leaves beside a study, and how it is kept private.
"""
