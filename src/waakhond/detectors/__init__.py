"""Stage 2 of the pipeline: detectors read events (and a memory snapshot) and emit signals."""

from waakhond.detectors.base import DetectionContext, Detector, Signal, Span

__all__ = ["DetectionContext", "Detector", "Signal", "Span"]
