"""What the relay does: the command queue, readings, devices and the house, cooling, homes and tokens.

May import `storage` and `fanout`; never `web` or `homerelay.server.relay`. Services take and return
small frozen dataclasses, never JSON or Flask objects.
"""
