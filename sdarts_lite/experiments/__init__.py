"""Many searches: a study over optimizers and seeds (study), the processes or Ray cluster that run
them (workers), and a sweep of settings on tuning seeds (sweep)."""
