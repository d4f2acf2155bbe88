"""Events between requests and processes: the in-process hub, and PostgreSQL LISTEN/NOTIFY between processes.

Beside `storage`: imports nothing else of the server.
"""
