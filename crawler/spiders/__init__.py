"""The project's one spider lives here; sites are data (the registry), not spider classes."""
