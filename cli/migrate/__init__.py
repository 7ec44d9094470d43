"""Engine of ``zsp migrate``: move static tokens into Secrets Manager and consumers to the gateway.

The value of a token is read from its file span, checked against the inventory fingerprint, and
written to exactly one place: AWS Secrets Manager. Plans, journals, backups and reports carry
fingerprints, paths, offsets and hashes only.
"""
