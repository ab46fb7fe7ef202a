"""The paper's method, read beside it: the search spaces (spaces/), the relaxation of alpha
(mixing), the supernet protocol (supernet), the optimizers, their registry and hyperparameters
(optimizers, hyperparameters), and the held-out loss's sharpness in alpha (sharpness)."""
