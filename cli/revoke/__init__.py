"""Engine of ``zsp revoke``: retire the static credentials a verified migration replaced."""
