"""NAS-Bench-201: one 4-node cell repeated in three stages, 6 edges x 5 operations."""
