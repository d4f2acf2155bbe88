"""Load, fault and hostile-input tests of the relay and the agent."""
