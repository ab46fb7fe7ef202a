"""The images: datasets as in-memory tensors (images, with digits, synthetic_shapes, fashion,
cifar as sources) and seeded batches over them (batches)."""
