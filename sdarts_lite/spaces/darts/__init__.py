"""The DARTS CNN space: normal and reduction cells, 14 edges x 8 operations each."""
