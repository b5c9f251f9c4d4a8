"""One module per API resource; each declares its path, model and documented verbs."""
