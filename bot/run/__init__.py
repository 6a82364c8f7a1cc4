"""The entry points: the `learnbot` command, the console, serving Slack, and `build()`, which wires them."""
