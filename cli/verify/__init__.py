"""Engine of ``zsp verify``: prove a migration left no plaintext copy and the secrets are sound."""
