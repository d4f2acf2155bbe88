"""The database: engine and transactions, every table, schema migrations, and the JSON shapes of records.

Imports nothing else of the server.
"""
