"""The business rules of mjpm as plain Python: no database, no HTTP."""
