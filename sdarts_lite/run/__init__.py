"""The machinery that runs the method: what decides a search (config), the search loop (search),
seeds trained as one (together), the plain record of a search (history), resume (checkpoint), and
the held-out loss and accuracy (held_out)."""
