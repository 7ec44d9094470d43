"""Pulumi components of zsp: gateway, agent, isolation, identity, policy, secrets, SIEM."""
