"""The images: each dataset declared once (``dataset.py``) beside its loader (``digits``,
``synthetic_shapes``, ``fashion``, ``cifar``), registered by name and loaded as in-memory tensors
(``images``), and seeded batches over them (``batches``)."""
