"""Helpers every test folder shares: free ports, servers in a thread or a process, homes, polling."""
