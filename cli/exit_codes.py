"""Stable exit codes, shared by every command (scripts and CI depend on them)."""

OK = 0
"""Success, nothing to report."""
FINDINGS = 1
"""The command ran and found something that needs attention (tokens, violations, failed checks)."""
USAGE = 2
"""Bad input (arguments, config, files) or a fatal error; nothing was half-written."""
