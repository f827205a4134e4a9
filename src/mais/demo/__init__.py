"""Demo data for the embedded development setup: a realistic wedding business."""
