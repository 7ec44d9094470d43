"""``zsp synth``: run the real stack program offline and record the desired state it declares."""

from .model import RecordedResource, Synthesis
from .runner import SynthError, synthesize

__all__ = ["RecordedResource", "SynthError", "Synthesis", "synthesize"]
