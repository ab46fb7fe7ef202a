"""The method, read beside the paper: the search spaces (spaces/), the relaxation of alpha (mixing),
the supernet protocol (supernet), the two optimizers (optimizers), what decides a search (config),
the search loop (search) and its record (history), resume (checkpoint), the held-out loss and
accuracy (held_out) and the held-out loss's sharpness in alpha (sharpness)."""
