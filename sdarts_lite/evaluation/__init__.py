"""Derived cells judged: trained from scratch (retrain), or looked up in the NAS-Bench-201 table
(nb201_table), which nb201_fetch gets once."""
