"""A local stand-in for Slack: its Web API on loopback, signed request payloads, and a driver sending them."""
